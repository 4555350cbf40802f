"""After the cause of a run's failures is fixed: release its parked items, or retry its failed items now.

A failed item is retried by the job's next runs up to its retry limit, then parked (out of the due queue).
Releasing puts each failed item the run lists back to work — conditional on its record still being the one
that failed — with its failures forgotten; retrying releases them and starts a manual run exactly like run
now, linked to the run it retries. Both refuse while the job has a run in flight, before anything changes,
and both are recorded in the job's activity trail. A run lists at most MAX_ITEM_ERRORS failed items: only
those are released.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from functions.automations import follow_ups, renewal_reminders, scheduled_reports, sequences
from functions.automations.release import ReleaseOutcome, UnknownItemKeyError
from functions.catalog import get_job
from functions.clock import Clock
from functions.data.action_guards import run_for_key, run_in_flight
from functions.data.activity import Action
from functions.data.errors import DataError, JobBusyError, StorageError
from functions.data.models import RunModel
from functions.data.retry import Backoff
from functions.data.run_links import note_retry
from functions.data.run_log import RunLog
from functions.data.run_types import Caller
from functions.data.vocabulary import RunStatus
from functions.lifecycle.invoker import LambdaInvoker
from functions.lifecycle.manual import audit, start_manual_run
from functions.observability import logger

Releaser = Callable[[str, datetime, Backoff], ReleaseOutcome]

# Each job parses its own item keys and knows what "parked" means for its records.
RELEASERS: dict[str, Releaser] = {
    "sequences": sequences.release_parked,
    "follow-ups": follow_ups.release_parked,
    "scheduled-reports": scheduled_reports.release_parked,
    "renewal-reminders": renewal_reminders.release_parked,
}

RETRYABLE = (RunStatus.FAILED, RunStatus.PARTIAL, RunStatus.TIMED_OUT)


class NothingFailedError(Exception):
    """The run lists no failed item (or none of the ones asked for)."""


class NotRetryableError(Exception):
    """Only a run that ended FAILED, PARTIAL or TIMED_OUT has failed items to retry."""

    def __init__(self, run: RunModel) -> None:
        super().__init__(
            f"run {run.run_id} is {run.status}: only a FAILED, PARTIAL or TIMED_OUT run can be retried"
        )
        self.status = run.status


@dataclass(frozen=True)
class Released:
    run: RunModel
    released: list[ReleaseOutcome]
    not_released: list[ReleaseOutcome]
    # Set when the release was done but its activity entry could not be recorded.
    audit_warning: str | None = None

    @property
    def summary(self) -> str:
        total = len(self.released) + len(self.not_released)
        return f"released {len(self.released)} of {total} item{'' if total == 1 else 's'}"


@dataclass(frozen=True)
class Retry:
    run: RunModel
    # None when the request repeated an Idempotency-Key: the first request released, this one did nothing.
    release: Released | None
    audit_warning: str | None = None


def release_parked(
    run_id: str,
    keys: Sequence[str] | None,
    caller: Caller,
    reason: str,
    *,
    run_log: RunLog,
    clock: Clock,
) -> Released:
    """Puts the failed items `run_id` lists (all, or the given `keys`) back to work for the job's next run."""
    run = run_log.get_run(run_id)
    now = clock.now()
    _ensure_idle(run.job, now)
    result = _release(run, keys, now, run_log.backoff)
    # Released is released: an audit failure is said to the caller, never turned into a failed request.
    summary = result.summary
    warning = audit(
        run_log, run.job, Action.RELEASE_PARKED, caller, now, reason=reason, run_id=run_id, detail=summary
    )
    logger.info(
        "parked items released",
        extra={"run_id": run_id, "by": caller.sub, "reason": reason, "summary": result.summary},
    )
    return replace(result, audit_warning=warning)


def retry_failed(
    run_id: str,
    caller: Caller,
    reason: str,
    *,
    run_log: RunLog,
    invoker: LambdaInvoker,
    clock: Clock,
    idempotency_key: str | None = None,
) -> Retry:
    """Releases the run's failed items, then starts a manual run of its job that retries them.

    A repeated `idempotency_key` returns the run the first request started and releases nothing again.
    """
    run = run_log.get_run(run_id)
    if idempotency_key is not None and (earlier := run_for_key(caller.sub, idempotency_key)) is not None:
        return Retry(run_log.get_run(earlier), None)
    if RunStatus(run.status) not in RETRYABLE:
        raise NotRetryableError(run)
    now = clock.now()
    _ensure_idle(run.job, now)
    released = _release(run, None, now, run_log.backoff)
    # If a tick takes the lock between the check and here, the start is refused (409) and that tick's run
    # retries what was released: nothing is lost.
    started = start_manual_run(
        get_job(run.job),
        caller,
        retry_reason(run_id, reason),
        run_log=run_log,
        invoker=invoker,
        clock=clock,
        idempotency_key=idempotency_key,
        retry_of=run_id,
    )
    if started.retry_of == run_id:
        _link(run_id, started.run_id, run_log.backoff)
    warning = audit(
        run_log,
        run.job,
        Action.RETRY,
        caller,
        now,
        reason=reason,
        run_id=started.run_id,
        detail=f"retry of run {run_id}: {released.summary}",
    )
    logger.info(
        "failed items retried",
        extra={"run_id": run_id, "new_run_id": started.run_id, "by": caller.sub, "summary": released.summary},
    )
    return Retry(started, released, warning)


def _link(run_id: str, new_run_id: str, backoff: Backoff) -> None:
    try:
        note_retry(run_id, new_run_id, backoff)
    except StorageError:
        # A convenience for the retried run's page: the new run names the run it retries either way.
        logger.exception("could not link a run to its retry", extra={"run_id": run_id, "retry": new_run_id})


def retry_reason(run_id: str, reason: str) -> str:
    return f"Retry of run {run_id}: {reason}"


def _ensure_idle(job: str, now: datetime) -> None:
    if (holder := run_in_flight(job, now)) is not None:
        raise JobBusyError(job, holder)


def _release(run: RunModel, keys: Sequence[str] | None, now: datetime, backoff: Backoff) -> Released:
    listed = list(dict.fromkeys(entry["key"] for entry in run.item_error_values()))
    if not listed:
        raise NothingFailedError(f"run {run.run_id} lists no failed items")
    wanted = listed if keys is None else [key for key in dict.fromkeys(keys) if key in listed]
    not_released = [
        ReleaseOutcome(key, False, "not a failed item of this run")
        for key in dict.fromkeys(keys or [])
        if key not in listed
    ]
    if not wanted:
        raise NothingFailedError(f"none of the given keys is a failed item of run {run.run_id}")
    releaser = RELEASERS[run.job]
    released: list[ReleaseOutcome] = []
    for key in wanted:
        outcome = _release_one(releaser, key, now, backoff)
        (released if outcome.released else not_released).append(outcome)
    return Released(run, released, not_released)


def _release_one(releaser: Releaser, key: str, now: datetime, backoff: Backoff) -> ReleaseOutcome:
    """One item's release; its failure is reported against it and never stops the others'."""
    try:
        return releaser(key, now, backoff)
    except UnknownItemKeyError as error:
        return ReleaseOutcome(key, False, str(error))
    except DataError:
        logger.exception("could not release an item", extra={"item": key})
        # Undecided writes were retried; what is left may or may not have landed: say so, never guess.
        return ReleaseOutcome(key, False, "storage did not answer; release it again to be sure")
