"""How run-log writes are fenced: who may close a run, when a job's lock is free, what an outcome writes on
the job's state. The conditions every lifecycle write in functions.data.run_log carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from functions.data.errors import DataError
from functions.data.models import JobStateModel, RunModel, job_state_key
from functions.data.vocabulary import RunStatus

# Clocks of two Lambda hosts may disagree by this much: a lease is only taken over once it lapsed by more.
LEASE_SKEW = timedelta(seconds=30)


@dataclass(frozen=True)
class Fence:
    """Who may close a run: the condition on the run record that makes a superseded writer's write fail."""

    condition: Condition
    # The segment whose invocation writes: its refusal is read as "cancel requested" when the run carries a
    # cancel mark and is still that segment's, rather than as "superseded".
    segment_number: int | None = None

    @staticmethod
    def segment(number: int) -> Fence:
        """The invocation running segment `number`, not asked to cancel: a continuation that moved on makes it
        stale, and a cancel mark refuses its progress and its outcome, so a cancel either lands before the
        run's outcome (and the run ends CANCELLED) or finds the run finished — never both."""
        return Fence(_segment_owns(number) & RunModel.cancel.does_not_exist(), number)

    @staticmethod
    def cancelling(number: int) -> Fence:
        """The invocation running segment `number`, closing the run as CANCELLED."""
        return Fence(_segment_owns(number), number)

    @staticmethod
    def queued() -> Fence:
        """A manual run nobody picked up yet."""
        return Fence(RunModel.status == RunStatus.QUEUED.value)

    @staticmethod
    def invocation(request_id: str) -> Fence:
        """The failed invocation is the one carrying the run (or the run was never picked up at all)."""
        carried = (RunModel.status == RunStatus.RUNNING.value) & (RunModel.logs.request_id == request_id)
        return Fence(carried | (RunModel.status == RunStatus.QUEUED.value))

    @staticmethod
    def overdue(deadline: datetime) -> Fence:
        """Still in flight with the deadline the watchdog saw: a continuation that extended it wins."""
        in_flight = RunModel.status.is_in(RunStatus.QUEUED.value, RunStatus.RUNNING.value)
        return Fence(in_flight & (RunModel.deadline_at == deadline))


def _segment_owns(number: int) -> Condition:
    return (RunModel.status == RunStatus.RUNNING.value) & (RunModel.segment == number)


class CancelRequestedError(DataError):
    """An admin asked the run to stop: its writer ends it CANCELLED with what it has done so far."""

    def __init__(self, run_id: str, by: str, reason: str) -> None:
        super().__init__(f"run {run_id} was {self._text(by, reason)}")
        self.run_id = run_id
        self.by = by
        self.reason = reason

    @staticmethod
    def _text(by: str, reason: str) -> str:
        return f"cancelled by {by}: {reason}"

    @property
    def reason_text(self) -> str:
        """ "cancelled by X: why", the way a CANCELLED run states it."""
        return self._text(self.by, self.reason)


class NotCancellableError(DataError):
    """The run is not in flight any more (or a cancel of it is already pending)."""

    def __init__(self, run_id: str, status: str, pending_by: str | None = None) -> None:
        if pending_by is not None:
            message = f"run {run_id} is {status} and a cancel requested by {pending_by} is already pending"
        else:
            message = f"run {run_id} is {status}: only a QUEUED or RUNNING run can be cancelled"
        super().__init__(message)
        self.run_id = run_id
        self.status = status


def cancel_requested(run: RunModel) -> CancelRequestedError | None:
    if run.cancel is None:
        return None
    return CancelRequestedError(run.run_id, run.cancel.by.username or run.cancel.by.sub, run.cancel.reason)


def refused_by_cancel(
    run_id: str, fence: Fence, stored: dict[str, Any] | None
) -> CancelRequestedError | None:
    """Reads a refused run write's stored copy (ALL_OLD): a cancel mark on a run its segment still owns."""
    if not stored or "cancel" not in stored or fence.segment_number is None:
        return None
    if (stored.get("status") or {}).get("S") != RunStatus.RUNNING.value:
        return None
    if int((stored.get("segment") or {}).get("N", "0")) != fence.segment_number:
        return None
    mark = stored["cancel"].get("M", {})
    by = mark.get("by", {}).get("M", {})
    name = (by.get("username") or {}).get("S") or (by.get("sub") or {}).get("S") or "an admin"
    return CancelRequestedError(run_id, name, (mark.get("reason") or {}).get("S", ""))


def lock_is_free(now: datetime) -> Condition:
    return JobStateModel.lock_run_id.does_not_exist() | (JobStateModel.lock_expires_at < now - LEASE_SKEW)


def not_paused() -> Condition:
    return JobStateModel.paused.does_not_exist() | (JobStateModel.paused == False)  # noqa: E712


def take_lock(
    transaction: TransactWrite, job: str, run_id: str, until: datetime, condition: Condition
) -> None:
    """The job's lock for `run_id` until `until`; the stored state comes back when `condition` is false."""
    transaction.update(
        JobStateModel(job_state_key(job)),
        actions=[
            JobStateModel.job.set(job),
            JobStateModel.lock_run_id.set(run_id),
            JobStateModel.lock_expires_at.set(until),
        ],
        condition=condition,
        return_values="ALL_OLD",
    )


def outcome_state_actions(job: str, run_id: str, status: RunStatus, now: datetime) -> list[Action]:
    """Keeps the job's last outcome on its state item, so status reads one item instead of history.

    Only FAILED and TIMED_OUT count as failures of the job; PARTIAL is a problem to read (status finds it in
    the run log) but ends a streak of failures, since the job did run. A CANCELLED run is neither: it leaves
    the last outcome (and so the job's health and its streak) where the last finished run put it.
    """
    if status is RunStatus.CANCELLED:
        return [JobStateModel.job.set(job)]
    actions: list[Action] = [
        JobStateModel.job.set(job),
        JobStateModel.last_run_id.set(run_id),
        JobStateModel.last_run_status.set(status.value),
        JobStateModel.last_run_finished_at.set(now),
    ]
    if status.is_failure:
        return [
            *actions,
            JobStateModel.last_failure_run_id.set(run_id),
            JobStateModel.last_failure_at.set(now),
            JobStateModel.consecutive_failures.add(1),
        ]
    return [*actions, JobStateModel.consecutive_failures.set(0)]
