"""Setting up and signing in: `configure`, `login`, `logout`, `whoami`."""

from __future__ import annotations

import os
import sys

import click

from automation_cli import cognito
from automation_cli.config import config_file, save
from automation_cli.consoles import err, out
from automation_cli.context import Context
from automation_cli.exits import CliError
from automation_cli.options import with_settings
from automation_cli.totp import totp


@click.command()
@with_settings
def configure(context: Context) -> None:
    """Save the API URL, pool and client ids (given as flags or AUTOMATION_* variables) for a profile."""
    settings = context.settings
    if sys.stdin.isatty():
        settings = type(settings)(
            api_url=settings.api_url or click.prompt("API URL"),
            user_pool_id=settings.user_pool_id or click.prompt("User pool id"),
            client_id=settings.client_id or click.prompt("App client id"),
            region=settings.region,
            cognito_endpoint=settings.cognito_endpoint,
        )
    settings.require("api_url", "user_pool_id", "client_id")
    path = config_file()
    save(context.profile, settings, path)
    err.print(f"Saved profile '{context.profile}' to {path}.")


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return os.environ.get("AUTOMATION_PASSWORD") or click.prompt("Password", hide_input=True, err=True)


def _new_password() -> str:
    chosen = os.environ.get("AUTOMATION_NEW_PASSWORD")
    if chosen:
        return chosen
    err.print("This is a temporary password: choose a new one.")
    return str(click.prompt("New password", hide_input=True, confirmation_prompt=True, err=True))


def _mfa_code(given: str | None) -> str:
    secret = os.environ.get("AUTOMATION_TOTP_SECRET")
    if given:
        return given
    if secret:
        return totp(secret)
    return str(click.prompt("Code from your authenticator app", err=True))


@click.command()
@click.option("--username", envvar="AUTOMATION_USERNAME", help="Your user name [AUTOMATION_USERNAME].")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--mfa-code", help="The current code of your authenticator app, if MFA is on.")
@with_settings
def login(context: Context, username: str | None, password_stdin: bool, mfa_code: str | None) -> None:
    """Sign in (SRP: the password is never sent) and keep the session for the other commands.

    A temporary password asks for a new one; MFA asks for the authenticator's code. For scripts the
    password can come from AUTOMATION_PASSWORD or --password-stdin, and the code from
    AUTOMATION_TOTP_SECRET.
    """
    context.settings.require("user_pool_id", "client_id")
    name = username or click.prompt("Username", err=True)
    tokens = cognito.sign_in(
        context.settings, name, _password(password_stdin), _new_password, lambda: _mfa_code(mfa_code)
    )
    context.cache.store(context.profile, tokens)
    groups = ", ".join(tokens.groups()) or "none"
    err.print(f"Signed in as [bold]{name}[/] (groups: {groups}).")


@click.command()
@with_settings
def logout(context: Context) -> None:
    """Sign out: revoke the session at Cognito and forget it here."""
    tokens = context.cache.load(context.profile)
    if tokens is None:
        err.print("Not signed in.")
        return
    context.cache.store(context.profile, None)
    try:
        cognito.revoke(context.settings, tokens)
    except CliError as error:
        err.print(f"Forgot the session here, but Cognito did not revoke it: {error.message}")
        return
    err.print(f"Signed out {tokens.username}.")


@click.command()
@with_settings
def whoami(context: Context) -> None:
    """Who the saved session belongs to, its groups and when its token expires."""
    tokens = context.tokens()
    expires = tokens.expires_at().isoformat()
    out.print(f"{tokens.username} (groups: {', '.join(tokens.groups()) or 'none'}); token expires {expires}")
