"""The options every command shares: which profile, and where the API and the user pool are."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from automation_cli.config import Settings, resolve
from automation_cli.context import Context, token_cache

_SETTING_OPTIONS = (
    click.option(
        "--profile", help="Settings and session to use (default: $AUTOMATION_PROFILE or 'default')."
    ),
    click.option("--api-url", help="The API's base URL, e.g. the stack's ApiUrl [AUTOMATION_API_URL]."),
    click.option("--user-pool-id", help="Cognito user pool id [AUTOMATION_USER_POOL_ID]."),
    click.option("--client-id", help="Cognito app client id [AUTOMATION_CLIENT_ID]."),
    click.option("--region", help="AWS region of the pool; defaults to the pool id's [AUTOMATION_REGION]."),
    click.option(
        "--cognito-endpoint",
        help="Cognito endpoint, only for an emulated pool (`make dev`) [AUTOMATION_COGNITO_ENDPOINT].",
    ),
)


def flag_settings(values: dict[str, Any]) -> Settings:
    return Settings(
        api_url=values.pop("api_url"),
        user_pool_id=values.pop("user_pool_id"),
        client_id=values.pop("client_id"),
        region=values.pop("region"),
        cognito_endpoint=values.pop("cognito_endpoint"),
    )


def with_settings(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds the shared options and passes the command a `Context` built from them, the environment and
    the config file, in that order of precedence."""

    @functools.wraps(command)
    def wrapper(*args: Any, **values: Any) -> Any:
        profile = values.pop("profile")
        chosen, settings = resolve(flag_settings(values), profile)
        return command(Context(chosen, settings, token_cache()), *args, **values)

    for option in reversed(_SETTING_OPTIONS):
        wrapper = option(wrapper)
    return wrapper
