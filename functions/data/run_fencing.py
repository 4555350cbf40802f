"""How run-log writes are fenced: who may close a run, when a job's lock is free, what an outcome writes on
the job's state. The conditions every lifecycle write in functions.data.run_log carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from functions.data.models import JobStateModel, RunModel, job_state_key
from functions.data.vocabulary import RunStatus

# Clocks of two Lambda hosts may disagree by this much: a lease is only taken over once it lapsed by more.
LEASE_SKEW = timedelta(seconds=30)


@dataclass(frozen=True)
class Fence:
    """Who may close a run: the condition on the run record that makes a superseded writer's write fail."""

    condition: Condition

    @staticmethod
    def segment(number: int) -> Fence:
        """The invocation running segment `number`: a continuation that moved on makes it stale."""
        return Fence((RunModel.status == RunStatus.RUNNING.value) & (RunModel.segment == number))

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
    the run log) but ends a streak of failures, since the job did run.
    """
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
