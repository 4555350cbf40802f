"""Time as the domain sees it: always timezone-aware UTC, and replaceable in tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to, so time-dependent behaviour is tested without sleeping."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = ensure_utc(moment)


def ensure_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every time in this service carries a time zone")
    return moment.astimezone(UTC)


def isoformat(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z suffix: sortable as a string, and what EventBridge Scheduler sends."""
    return ensure_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Accepts `Z` or an explicit offset; rejects naive times rather than guessing their zone."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return ensure_utc(moment)


SYSTEM_CLOCK = SystemClock()
