"""The run log's writes for schedule ticks: a tick starts a run, or is recorded SKIPPED, FAILED (its function
crashed before recording anything) or MISSED (it started no run within its grace), each under the tick's key
so a redelivered tick or a second watchdog pass finds it. `RunLogBase` holds what every run-log write shares.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from functions.data.errors import (
    DuplicateTickError,
    JobBusyError,
    JobPausedError,
    StaleRunError,
    is_condition_failure,
    storage_errors,
)
from functions.data.models import JobStateModel, RunModel, TickModel, job_state_key, tick_key
from functions.data.retry import Backoff
from functions.data.run_fencing import lock_is_free, not_paused, outcome_state_actions, take_lock
from functions.data.run_types import LogLocation, RunError
from functions.data.transactions import ConditionRefusedError, commit
from functions.data.vocabulary import RunStatus, Trigger
from functions.ids import tick_run_id


class RunLogBase:
    """The connection, retry policy and retention every run-log write shares."""

    def __init__(self, retention_days: int, backoff: Backoff | None = None) -> None:
        self._retention = timedelta(days=retention_days)
        self._connection: Connection | None = None
        self.backoff = backoff or Backoff()

    def _transaction(self) -> TransactWrite:
        if self._connection is None:
            self._connection = Connection(region=RunModel.Meta.region)
        return TransactWrite(connection=self._connection)

    def _retrying(self, action: str, write: Callable[[], Any]) -> Any:
        return self.backoff.call(action, write)

    def _new_run(self, job: str, run_id: str, status: RunStatus, trigger: Trigger, now: datetime) -> RunModel:
        return RunModel(
            run_id,
            job=job,
            status=status.value,
            trigger=trigger.value,
            job_status=f"{job}#{status.value}",
            job_trigger=f"{job}#{trigger.value}",
            queued_at=now,
            counts={},
            item_errors=[],
            expires_at=now + self._retention,
        )


class TickWrites(RunLogBase):
    def start_scheduled(
        self,
        job: str,
        run_id: str,
        scheduled_for: datetime,
        scheduled_key: str,
        now: datetime,
        deadline: datetime,
        logs: LogLocation,
    ) -> RunModel:
        """Claims the tick, takes the lock and records the run RUNNING, all or nothing.

        Raises DuplicateTickError (the tick has its run), JobPausedError or JobBusyError (the tick is not
        claimed: the caller records it SKIPPED)."""
        run = self._new_run(job, run_id, RunStatus.RUNNING, Trigger.SCHEDULE, now)
        run.scheduled_for = scheduled_for
        run.started_at = now
        run.deadline_at = deadline
        run.logs = logs.to_attribute()

        def attempt() -> RunModel:
            transaction = self._tick_transaction(run, scheduled_key, now)
            take_lock(transaction, job, run_id, deadline, lock_is_free(now) & not_paused())
            try:
                commit(transaction, f"starting a run of '{job}'")
            except ConditionRefusedError as refused:
                self._explain_tick_refusal(refused, job, run_id, scheduled_key, state_position=2)
            return run

        return self._retrying(f"starting a run of '{job}'", attempt)

    def _explain_tick_refusal(
        self, refused: ConditionRefusedError, job: str, run_id: str, scheduled_key: str, state_position: int
    ) -> None:
        # Positions: the tick and the run are puts (0, 1), the job state an update after them.
        if refused.at(0):
            owner = refused.stored(0, "run_id")
            if owner == run_id:
                return  # this very write landed on an earlier attempt whose answer was lost
            raise DuplicateTickError(job, scheduled_key, owner) from refused
        if refused.at(state_position):
            raw = refused.refused.get(state_position) or {}
            if (raw.get("paused") or {}).get("BOOL"):
                by = ((raw.get("paused_by") or {}).get("M") or {}).get("username", {}).get("S")
                raise JobPausedError(job, by, refused.stored(state_position, "paused_reason")) from refused
            raise JobBusyError(job, refused.stored(state_position, "lock_run_id")) from refused
        raise StaleRunError(f"run {run_id} already exists") from refused

    def _tick_transaction(self, run: RunModel, scheduled_key: str, now: datetime) -> TransactWrite:
        """A transaction claiming the tick for `run` and writing it: a redelivered tick finds its claim."""
        transaction = self._transaction()
        transaction.save(
            TickModel(tick_key(run.job, scheduled_key), run_id=run.run_id, expires_at=now + self._retention),
            condition=TickModel.pk.does_not_exist(),
            return_values="ALL_OLD",
        )
        transaction.save(run, condition=RunModel.run_id.does_not_exist())
        return transaction

    def _record_tick(
        self, run: RunModel, scheduled_key: str, now: datetime, state_actions: list[Action]
    ) -> None:
        def attempt() -> None:
            transaction = self._tick_transaction(run, scheduled_key, now)
            if state_actions:
                transaction.update(JobStateModel(job_state_key(run.job)), actions=state_actions)
            try:
                commit(transaction, f"recording a tick of '{run.job}'")
            except ConditionRefusedError as refused:
                self._explain_tick_refusal(refused, run.job, run.run_id, scheduled_key, state_position=-1)

        self._retrying(f"recording a tick of '{run.job}'", attempt)

    def record_skipped(
        self,
        job: str,
        run_id: str,
        scheduled_for: datetime,
        scheduled_key: str,
        now: datetime,
        *,
        blocked_by: str | None = None,
        because: str,
    ) -> RunModel:
        run = self._new_run(job, run_id, RunStatus.SKIPPED, Trigger.SCHEDULE, now)
        run.scheduled_for = scheduled_for
        run.finished_at = now
        run.blocked_by = blocked_by
        run.skip_reason = because
        self._record_tick(run, scheduled_key, now, [])
        return run

    def record_crashed_tick(
        self,
        job: str,
        run_id: str,
        scheduled_for: datetime,
        scheduled_key: str,
        now: datetime,
        error: RunError,
        logs: LogLocation,
    ) -> RunModel:
        """A tick whose function failed before recording anything still gets a failed run of its own."""
        run = self._new_run(job, run_id, RunStatus.FAILED, Trigger.SCHEDULE, now)
        run.scheduled_for = scheduled_for
        run.finished_at = now
        run.duration_ms = 0
        run.error = error.to_attribute()
        run.logs = logs.to_attribute()
        self._record_tick(run, scheduled_key, now, outcome_state_actions(job, run_id, RunStatus.FAILED, now))
        return run

    def record_missed(self, job: str, tick: datetime, now: datetime, error: RunError, checks: str) -> bool:
        """Writes the MISSED row of a tick that started no run, once: its id comes from the job and the tick,
        so a retry after a lost answer, a later pass or a concurrent one finds it. No tick claim is taken: a
        late delivery of the tick still runs. True when this call wrote it."""
        run = self._new_run(job, tick_run_id(job, tick), RunStatus.MISSED, Trigger.SCHEDULE, tick)
        run.scheduled_for = tick
        run.finished_at = now
        run.error = error.to_attribute()
        run.skip_reason = checks
        run.expires_at = now + self._retention

        def attempt() -> bool:
            with storage_errors(f"recording a missed tick of '{job}'"):
                try:
                    run.save(condition=RunModel.run_id.does_not_exist())
                except PynamoDBException as failure:
                    if not is_condition_failure(failure):
                        raise
                    return False  # written already: by an earlier attempt whose answer was lost, or a pass
            return True

        written: bool = self._retrying(f"recording a missed tick of '{job}'", attempt)
        return written
