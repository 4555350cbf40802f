"""The values the run log reads and writes: who acted, what went wrong, where the logs are, how runs end."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from functions.data.models import CallerAttribute, ErrorAttribute, LogsAttribute, RunModel
from functions.data.vocabulary import RunStatus, Trigger

MAX_ITEM_ERRORS = 50
MAX_UNCONFIRMED = 50


@dataclass(frozen=True)
class Caller:
    sub: str
    username: str | None = None
    email: str | None = None
    groups: tuple[str, ...] = ()

    def to_attribute(self) -> CallerAttribute:
        return CallerAttribute(
            sub=self.sub, username=self.username, email=self.email, groups=list(self.groups)
        )


@dataclass(frozen=True)
class RunError:
    type: str
    message: str
    stack: str | None = None
    where: str | None = None

    def to_attribute(self) -> ErrorAttribute:
        return ErrorAttribute(type=self.type, message=self.message, stack=self.stack, where=self.where)


@dataclass(frozen=True)
class LogLocation:
    log_group: str | None
    log_stream: str | None
    request_id: str | None
    link: str | None

    def to_attribute(self) -> LogsAttribute:
        return LogsAttribute(
            log_group=self.log_group, log_stream=self.log_stream, request_id=self.request_id, link=self.link
        )


@dataclass
class Outcome:
    """What a finished run records: the final status, counts, failed items and the error if any."""

    status: RunStatus
    counts: dict[str, int]
    item_errors: list[dict[str, str]] = field(default_factory=list)
    error: RunError | None = None
    unconfirmed: list[Unconfirmed] = field(default_factory=list)


@dataclass(frozen=True)
class RunQuery:
    jobs: Sequence[str]
    status: RunStatus | None = None
    trigger: Trigger | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_run_id: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class RunPage:
    runs: list[RunModel]
    last_run_id: str | None


@dataclass(frozen=True)
class Unconfirmed:
    """An email whose send may or may not have happened: never resent until an admin releases it."""

    claim: str
    item: str
    reason: str
