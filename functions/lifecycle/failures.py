"""Reading Lambda's on-failure destination records: a crash or timeout ran none of our code, so this does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from functions.data.errors import DuplicateTickError, StaleRunError
from functions.data.models import RunModel
from functions.data.run_log import LogLocation, Outcome, RunError, RunLog
from functions.data.vocabulary import RunStatus
from functions.ids import new_run_id
from functions.lifecycle.events import InvalidEventError, ScheduledInvocation, parse_invocation
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


def record_destination_failure(record: dict[str, Any], run_log: RunLog, now: datetime) -> RunModel | None:
    """Marks the run the failed invocation belonged to; returns None when there is nothing to mark."""
    try:
        invocation = parse_invocation(record.get("requestPayload"))
    except InvalidEventError:
        return None
    failure = classify(record)
    if isinstance(invocation, ScheduledInvocation):
        run_id = run_log.find_tick_run(invocation.job, invocation.tick_key)
        if run_id is None:
            # The function died before it recorded anything (an import error, say): the tick still gets a run.
            return _record_crashed_tick(invocation, failure, run_log, now)
    else:
        run_id = invocation.run_id
    run = run_log.get_run(run_id)
    outcome = Outcome(
        failure.status,
        run.count_values(),
        run.item_error_values(),
        failure.error,
    )
    try:
        return run_log.finish(run_id, outcome, now, expected=[RunStatus.QUEUED, RunStatus.RUNNING])
    except StaleRunError:
        return None


def _record_crashed_tick(
    tick: ScheduledInvocation, failure: DestinationFailure, run_log: RunLog, now: datetime
) -> RunModel | None:
    run_id = new_run_id(now)
    try:
        run_log.record_crashed_tick(
            tick.job, run_id, tick.scheduled_for, tick.tick_key, now, failure.error, failure.logs(run_id)
        )
    except DuplicateTickError:
        return None
    return run_log.get_run(run_id)
