"""Putting a parked record back to work after an admin fixed the cause: what every job's release shares.

Each job knows its item keys and what "parked" means for its records (`release_parked` in each job module);
this module reads the record, asks the job's plan whether and how to revive it, and writes the revival
conditional on the version read, so a record changed since (re-imported, stopped, unsubscribed) is never
revived on a stale reading. The write is retried while DynamoDB does not decide; a write that landed but
whose answer was lost is recognised on the next reading (the version it wrote, no failures, the due time
it set) rather than reported as "changed since".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from functions.clock import isoformat
from functions.data import platform_claims, platform_store
from functions.data.platform import DueRecord
from functions.data.platform_store import RecordChangedError
from functions.data.retry import Backoff

_Due = TypeVar("_Due", bound=DueRecord)


class UnknownItemKeyError(ValueError):
    """The key is not one this job's runs record."""

    def __init__(self, job: str, key: str) -> None:
        super().__init__(f"'{key}' is not an item key of '{job}'")


@dataclass(frozen=True)
class ReleaseOutcome:
    key: str
    released: bool
    # What was done ("back in the queue from now"), or why nothing was.
    detail: str


@dataclass(frozen=True)
class Revival:
    """How to put one record back to work: due from `due_at` with no failures counted, plus `actions`."""

    due_at: datetime
    detail: str
    # The item's send claims: a send whose attempts all failed would refuse the retry (attempts exhausted).
    claims: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    # What must still hold besides the version (e.g. "still parked"), for the reader of the write.
    condition: Condition | None = None


# A job's decision on a record as read: a Revival, or why it is not revived.
Plan = Callable[[_Due], Revival | str]


@dataclass
class _Written:
    version: int
    due_at: str
    detail: str


def release(key: str, load: Callable[[], _Due | None], plan: Plan[_Due], backoff: Backoff) -> ReleaseOutcome:
    """Reads the record, lets `plan` decide, and writes the revival once, whatever the faults on the way."""
    written: list[_Written] = []

    def landed(record: _Due) -> ReleaseOutcome | None:
        if not written:
            return None
        mine = written[-1]
        if int(record.version or 0) == mine.version and record.due_at == mine.due_at and not record.failures:
            return ReleaseOutcome(key, True, mine.detail)
        return None

    def attempt() -> ReleaseOutcome:
        record = load()
        if record is None:
            return ReleaseOutcome(key, False, "the record no longer exists")
        if (done := landed(record)) is not None:
            return done
        decision = plan(record)
        if isinstance(decision, str):
            return ReleaseOutcome(key, False, decision)
        # Claims first: a record back in the queue with its sends still exhausted would park again at once.
        for claim in decision.claims:
            platform_claims.forget_failed_attempts(claim)
        model = type(record)
        written.append(_Written(int(record.version or 0) + 1, isoformat(decision.due_at), decision.detail))
        try:
            platform_store.update(
                record,
                [*decision.actions, model.failures.set(0), *model.due_actions(decision.due_at)],
                decision.condition,
            )
        except RecordChangedError:
            # Refused: either our own earlier write landed (botocore retried a request whose answer was
            # lost), or someone changed the record between our reading and our write.
            current = load()
            if current is not None and (done := landed(current)) is not None:
                return done
            return ReleaseOutcome(key, False, "it changed while being released; read the run again")
        return ReleaseOutcome(key, True, decision.detail)

    outcome: ReleaseOutcome = backoff.call(f"releasing {key}", attempt)
    return outcome


def retry_detail(record: DueRecord, parked: bool) -> str:
    if parked:
        return "back in the queue: the next run tries it again with all its attempts"
    failures = int(record.failures)
    attempts = "attempt" if failures == 1 else "attempts"
    return f"its {failures} failed {attempts} forgotten: the next run retries it with all its attempts"


def failed_not_parked(record: DueRecord, now: datetime, claims: list[str]) -> Revival | str:
    """A record still due after a failure: only its counts are reset, so the retry has all its attempts."""
    if record.due_at is None:
        return "not parked and not due: nothing to release"
    if not record.failures:
        return "still due with no failure counted: the next run tries it anyway"
    return Revival(
        due_at=min(record.due_from(), now), detail=retry_detail(record, parked=False), claims=claims
    )
