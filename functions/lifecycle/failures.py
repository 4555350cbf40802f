"""Reading Lambda's on-failure destination records: a crash or timeout ran none of our code, so this does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from functions.data.errors import DuplicateTickError, StaleRunError
from functions.data.models import RunModel
from functions.data.run_fencing import Fence
from functions.data.run_log import RunLog
from functions.data.run_types import LogLocation, Outcome, RunError, Unconfirmed
from functions.data.vocabulary import RunStatus
from functions.ids import new_run_id
from functions.lifecycle.events import (
    ContinuationInvocation,
    InvalidEventError,
    ScheduledInvocation,
    parse_invocation,
)
from functions.lifecycle.log_links import function_log_group, log_location

_TIMEOUT_TYPES = {"Sandbox.Timedout", "TimeoutError"}


@dataclass(frozen=True)
class DestinationFailure:
    status: RunStatus
    error: RunError
    function_arn: str = ""
    request_id: str | None = None

    def logs(self, run_id: str) -> LogLocation:
        """The failed invocation's logs: the function's log group, filtered on the run id."""
        return log_location(run_id, function_log_group(self.function_arn), request_id=self.request_id)


def classify(record: dict[str, Any]) -> DestinationFailure:
    context = record.get("requestContext") or {}
    condition = str(context.get("condition") or "Unknown")
    attempts = context.get("approximateInvokeCount")
    where = f"lambda ({condition}, {attempts} attempts)" if attempts else f"lambda ({condition})"
    status, error = _error_of(record.get("responsePayload"), condition, where)
    request_id = context.get("requestId")
    return DestinationFailure(
        status, error, str(context.get("functionArn") or ""), str(request_id) if request_id else None
    )


def _error_of(response: Any, condition: str, where: str) -> tuple[RunStatus, RunError]:
    if not isinstance(response, dict):
        message = (
            "the invocation expired before Lambda could run it"
            if condition == "EventAgeExceeded"
            else "Lambda reported the invocation failed without an error payload"
        )
        return RunStatus.FAILED, RunError(type=condition, message=message, where=where)
    error_type = str(response.get("errorType") or "Unknown")
    message = str(response.get("errorMessage") or "")
    stack = "\n".join(str(line) for line in response.get("stackTrace") or [])[-6000:] or None
    timed_out = error_type in _TIMEOUT_TYPES or "Task timed out" in message
    status = RunStatus.TIMED_OUT if timed_out else RunStatus.FAILED
    return status, RunError(type=error_type, message=message or error_type, stack=stack, where=where)


# How often a failed invocation that never started its work is invoked again before its run is closed.
MAX_REDRIVES = 2


@dataclass(frozen=True)
class Decision:
    """What the recorder did with one destination record."""

    action: str  # marked | redriven | crashed-tick | not-this-run | already-closed | unreadable
    run: RunModel | None = None
    reason: str = ""


class Redrive(Protocol):
    def __call__(self, function: str, payload: dict[str, Any]) -> None: ...


def record_destination_failure(
    record: dict[str, Any], run_log: RunLog, now: datetime, redrive: Redrive
) -> Decision:
    """Acts only on the run the failed invocation carried, decided by conditions, never by a guess:

    - the invocation never started its work (no tick claim, a manual run still QUEUED, a continuation whose
      segment was never taken): it is invoked again, at most MAX_REDRIVES times, so a transient fault before
      the work began does not cost the tick; after that its run is recorded FAILED;
    - it carried the run (the run names its request id): the run is closed FAILED or TIMED_OUT;
    - otherwise it was a duplicate delivery, and the run doing the real work is left alone.

    Storage faults are raised: Lambda retries the recorder, then its dead-letter queue keeps the record.
    """
    payload = record.get("requestPayload")
    try:
        invocation = parse_invocation(payload)
    except InvalidEventError as invalid:
        return Decision("unreadable", reason=str(invalid))
    failure = classify(record)
    redrives = int(payload.get("redrive") or 0) if isinstance(payload, dict) else 0
    if isinstance(invocation, ScheduledInvocation):
        run_id = run_log.find_tick_run(invocation.job, invocation.tick_key)
        if run_id is None:
            if redrives < MAX_REDRIVES:
                return _redrive(redrive, failure, payload, redrives)
            return _record_crashed_tick(invocation, failure, run_log, now)
        run = run_log.get_run(run_id)
        never_started = False
    else:
        run = run_log.get_run(invocation.run_id)
        if isinstance(invocation, ContinuationInvocation):
            never_started = (
                run.status == RunStatus.RUNNING.value and int(run.segment) == invocation.segment - 1
            )
        else:
            never_started = run.status == RunStatus.QUEUED.value
        if never_started and redrives < MAX_REDRIVES:
            return _redrive(redrive, failure, payload, redrives)
    if not RunStatus(run.status).in_flight:
        return Decision("already-closed", run)
    if never_started:
        fence = Fence.queued() if run.status == RunStatus.QUEUED.value else Fence.segment(int(run.segment))
        error = RunError(
            "NeverStarted",
            f"the invocation meant to {'start' if run.status == RunStatus.QUEUED.value else 'continue'} "
            f"the run failed {redrives + 1} times: {failure.error.type}: {failure.error.message}",
            failure.error.stack,
            failure.error.where,
        )
        status = RunStatus.FAILED
    elif run.status == RunStatus.RUNNING.value and run.request_id != failure.request_id:
        return Decision(
            "not-this-run", run, f"the failed request {failure.request_id} does not carry the run"
        )
    else:
        fence = Fence.invocation(failure.request_id or "")
        status, error = failure.status, failure.error
    outcome = Outcome(status, run.count_values(), run.item_error_values(), error, _unconfirmed(run))
    try:
        return Decision("marked", run_log.finish(run.run_id, outcome, now, fence))
    except StaleRunError as closed:
        return Decision("already-closed", run, str(closed))


def _unconfirmed(run: RunModel) -> list[Unconfirmed]:
    return [Unconfirmed(**values) for values in run.unconfirmed_values()]


def _redrive(redrive: Redrive, failure: DestinationFailure, payload: Any, redrives: int) -> Decision:
    redrive(unqualified(failure.function_arn), {**payload, "redrive": redrives + 1})
    return Decision("redriven", reason=f"attempt {redrives + 2} after {failure.error.type}")


def _record_crashed_tick(
    tick: ScheduledInvocation, failure: DestinationFailure, run_log: RunLog, now: datetime
) -> Decision:
    run_id = new_run_id(now)
    try:
        run = run_log.record_crashed_tick(
            tick.job, run_id, tick.scheduled_for, tick.tick_key, now, failure.error, failure.logs(run_id)
        )
    except DuplicateTickError as duplicate:
        return Decision("already-closed", reason=str(duplicate))
    return Decision("crashed-tick", run)


def unqualified(function_arn: str) -> str:
    """arn:aws:lambda:<region>:<account>:function:<name>[:<version or alias>] without the qualifier: the
    recorder may invoke a job's function, not a chosen version of it."""
    parts = function_arn.split(":")
    return ":".join(parts[:7]) if len(parts) > 7 else function_arn
