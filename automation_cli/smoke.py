"""`automation smoke` (`make smoke`): proves a deployment works end to end, as an admin would use it.

Signs in with SRP, reads status, runs a job with a reason and follows it to its outcome; exits 0 only if
every step worked and the run SUCCEEDED. The session lives in memory: a saved `automation login` is
neither used nor replaced.
"""

from __future__ import annotations

import os

import click

from automation_cli import cognito, render
from automation_cli.consoles import err as say
from automation_cli.context import Context
from automation_cli.exits import CliError, ExitCode
from automation_cli.follow import OUTCOME_EXIT, follow, start_run
from automation_cli.options import with_settings
from automation_cli.session import MemoryTokens
from automation_cli.totp import totp


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise CliError(f"{name} is not set", ExitCode.USAGE, hint="the smoke test signs in as that user")
    return value


def _no_new_password() -> str:
    raise CliError(
        "the smoke user still has a temporary password",
        ExitCode.NOT_SIGNED_IN,
        hint="sign in once with `automation login` to choose a permanent one",
    )


def _mfa_code() -> str:
    secret = os.environ.get("AUTOMATION_TOTP_SECRET")
    if not secret:
        raise CliError("the smoke user has MFA on", ExitCode.NOT_SIGNED_IN, hint="set AUTOMATION_TOTP_SECRET")
    return totp(secret)


@click.command(hidden=True)
@click.option(
    "--job", envvar="SMOKE_JOB", default="follow-ups", show_default=True, help="Job to run [SMOKE_JOB]."
)
@click.option("--reason", default="smoke test: confirm the deployment runs a job", show_default=True)
@click.option(
    "--timeout", type=click.FloatRange(0), default=600, show_default=True, help="Seconds to wait for the run."
)
@click.option("--interval", type=click.FloatRange(0.1), default=2.0, show_default=True)
@with_settings
def smoke(context: Context, job: str, reason: str, timeout: float, interval: float) -> ExitCode:
    """Sign in, read status, run JOB and follow it to SUCCEEDED (exit codes as for `run --wait`)."""
    context.cache = MemoryTokens()
    context.settings.require("api_url", "user_pool_id", "client_id")
    username = _required("AUTOMATION_USERNAME")
    tokens = cognito.sign_in(
        context.settings, username, _required("AUTOMATION_PASSWORD"), _no_new_password, _mfa_code
    )
    context.cache.store(context.profile, tokens)
    say.print(f"ok  signed in as {username} (groups: {', '.join(tokens.groups()) or 'none'})")

    api = context.api()
    listing = api.get("/jobs")
    say.print(f"ok  status: {render.headline(listing['jobs'])}")

    detail = api.get(f"/jobs/{job}")
    if detail.get("in_flight_run_id"):
        say.print(f"..  {job} has run {detail['in_flight_run_id']} in flight; waiting for it first")
        follow(api, api.get(f"/runs/{detail['in_flight_run_id']}"), timeout, interval, say)
    started = start_run(api, job, reason)
    say.print(f"ok  started run {started['run_id']} of {job}")

    finished = follow(api, started, timeout, interval, say)
    code = OUTCOME_EXIT[finished["status"]]
    mark = "ok " if code is ExitCode.OK else "FAIL"
    say.print(
        f"{mark} run {finished['run_id']} ended {finished['status']}"
        f" in {render.duration(finished.get('duration_ms'))}"
    )
    if code is not ExitCode.OK:
        render.run_detail(say, finished, stack=False)
    return code
