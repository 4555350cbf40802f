"""The signed-in session: Cognito tokens cached per profile in one owner-only file."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from automation_cli.config import ensure_private_dir

PRIVATE_FILE_MODE = 0o600


@dataclass(frozen=True)
class Tokens:
    username: str
    id_token: str
    access_token: str
    refresh_token: str
    # The pool and client that issued them: a session of another pool (a restarted `make dev`) is not reused.
    user_pool_id: str
    client_id: str

    def claims(self) -> dict[str, Any]:
        """The ID token's claims, unverified: only the API trusts them, the CLI just reads the expiry."""
        try:
            payload = self.id_token.split(".")[1]
            decoded: dict[str, Any] = json.loads(
                base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            )
        except (IndexError, ValueError):
            return {}
        return decoded

    def expires_at(self) -> datetime:
        exp = self.claims().get("exp")
        return (
            datetime.fromtimestamp(exp, UTC)
            if isinstance(exp, int | float)
            else datetime.min.replace(tzinfo=UTC)
        )

    def groups(self) -> list[str]:
        groups = self.claims().get("cognito:groups") or []
        return [str(group) for group in groups] if isinstance(groups, list) else [str(groups)]


class TokenStore(Protocol):
    def load(self, profile: str) -> Tokens | None: ...

    def store(self, profile: str, tokens: Tokens | None) -> None: ...


class MemoryTokens:
    """A session kept for one process only (the smoke test): it never replaces the user's saved one."""

    def __init__(self) -> None:
        self._tokens: dict[str, Tokens] = {}

    def load(self, profile: str) -> Tokens | None:
        return self._tokens.get(profile)

    def store(self, profile: str, tokens: Tokens | None) -> None:
        if tokens is None:
            self._tokens.pop(profile, None)
        else:
            self._tokens[profile] = tokens


class TokenCache:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _all(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def load(self, profile: str) -> Tokens | None:
        entry = self._all().get(profile)
        if not isinstance(entry, dict):
            return None
        try:
            return Tokens(**entry)
        except TypeError:
            return None

    def store(self, profile: str, tokens: Tokens | None) -> None:
        data = self._all()
        if tokens is None:
            data.pop(profile, None)
        else:
            data[profile] = asdict(tokens)
        ensure_private_dir(self.path.parent)
        # Created owner-only before anything is written, then swapped in whole: never readable by others.
        partial = self.path.with_name(self.path.name + ".tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), PRIVATE_FILE_MODE)
            json.dump(data, handle, indent=2)
        os.replace(partial, self.path)
