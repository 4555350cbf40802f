"""Run ids are ULIDs: unique, and sorting them sorts runs by creation time, which the run log relies on."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ULID_LENGTH = 26
_TIME_CHARS = 10


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, remainder = divmod(value, 32)
        chars.append(_ALPHABET[remainder])
    return "".join(reversed(chars))


def new_run_id(moment: datetime) -> str:
    millis = int(moment.timestamp() * 1000)
    return _encode(millis, _TIME_CHARS) + _encode(secrets.randbits(80), _ULID_LENGTH - _TIME_CHARS)


def run_id_floor(moment: datetime) -> str:
    """The smallest run id created at `moment`: a time range becomes a key range on run ids."""
    return _encode(int(moment.timestamp() * 1000), _TIME_CHARS) + "0" * (_ULID_LENGTH - _TIME_CHARS)


def run_id_ceiling(moment: datetime) -> str:
    return _encode(int(moment.timestamp() * 1000), _TIME_CHARS) + "Z" * (_ULID_LENGTH - _TIME_CHARS)


def is_run_id(text: str) -> bool:
    return len(text) == _ULID_LENGTH and all(char in _ALPHABET for char in text)


def run_id_time(run_id: str) -> datetime:
    millis = 0
    for char in run_id[:_TIME_CHARS]:
        millis = millis * 32 + _ALPHABET.index(char)
    return datetime.fromtimestamp(millis / 1000, UTC)


def run_id_predecessor(run_id: str) -> str:
    """The largest id sorting before `run_id`: turns "older than this cursor" into an inclusive bound."""
    digits = [_ALPHABET.index(char) for char in run_id]
    position = len(digits) - 1
    while position >= 0 and digits[position] == 0:
        digits[position] = 31
        position -= 1
    if position < 0:
        return "0" * len(run_id)
    digits[position] -= 1
    return "".join(_ALPHABET[digit] for digit in digits)


def tick_run_id(job: str, tick: datetime) -> str:
    """The one run id a tick's MISSED row can have: it sorts at the tick, and every watchdog pass (or two at
    once) derives the same id, so the row is found by key and written once."""
    millis = int(tick.astimezone(UTC).timestamp() * 1000)
    digest = hashlib.sha256(f"{job}#{millis}".encode()).digest()
    return _encode(millis, _TIME_CHARS) + _encode(int.from_bytes(digest[:10]), _ULID_LENGTH - _TIME_CHARS)
