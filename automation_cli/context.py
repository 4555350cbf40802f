"""What every command works with: the profile's settings, its cached session, and the API behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from automation_cli import cognito
from automation_cli.api import Api
from automation_cli.config import Settings, config_dir
from automation_cli.exits import CliError, ExitCode
from automation_cli.session import TokenCache, Tokens, TokenStore

# Refresh a little before expiry, so a token never expires in flight.
EXPIRY_MARGIN = timedelta(seconds=60)
TOKEN_FILE = "tokens.json"


def token_cache() -> TokenCache:
    return TokenCache(config_dir() / TOKEN_FILE)


@dataclass
class Context:
    profile: str
    settings: Settings
    cache: TokenStore

    def tokens(self) -> Tokens:
        tokens = self.cache.load(self.profile)
        if tokens is None:
            raise CliError("not signed in", ExitCode.NOT_SIGNED_IN, hint=self._login_hint())
        if (tokens.user_pool_id, tokens.client_id) != (self.settings.user_pool_id, self.settings.client_id):
            raise CliError(
                "the saved session belongs to another user pool or client",
                ExitCode.NOT_SIGNED_IN,
                hint=self._login_hint(),
            )
        return tokens

    def id_token(self, force_refresh: bool = False) -> str:
        tokens = self.tokens()
        if force_refresh or tokens.expires_at() - EXPIRY_MARGIN <= datetime.now(UTC):
            try:
                tokens = cognito.refresh(self.settings, tokens)
            except CliError as error:
                if error.code is not ExitCode.NOT_SIGNED_IN:
                    raise
                raise CliError(
                    "the session has ended and could not be renewed",
                    ExitCode.NOT_SIGNED_IN,
                    hint=self._login_hint(),
                ) from None
            self.cache.store(self.profile, tokens)
        return tokens.id_token

    def api(self) -> Api:
        self.settings.require("api_url", "user_pool_id", "client_id")
        assert self.settings.api_url
        return Api(self.settings.api_url, self.id_token)

    def _login_hint(self) -> str:
        flag = "" if self.profile == "default" else f" --profile {self.profile}"
        return f"run `automation login{flag}`"
