"""The run log's lifecycle writes: every start, progress save and outcome of a run goes through `RunLog`.

Three rules hold for every write here:
- **Decided or undecided.** A false condition (the tick is claimed, the run was closed by someone else) is a
  domain answer; throttling, a 5xx, a conflicting transaction or a timeout is `TransientStorageError`, retried
  with backoff and then raised. Nothing is reported done, abandoned or ignored on a guess.
- **Fenced.** A run's progress and outcome land only while that run, and that segment of it, still owns the
  run record; its lock is released in the same transaction as its outcome; a late outcome never overwrites a
  newer run's outcome on the job.
- **Idempotent under a lost answer.** A write that landed but whose answer was lost is recognised on retry
  (the run already carries this very outcome, this very invocation) instead of being read as "someone else".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from functions.data.activity import ActivityTrail
from functions.data.errors import (
    DuplicateTickError,
    JobBusyError,
    JobPausedError,
    StaleRunError,
    TransientStorageError,
    is_condition_failure,
    storage_errors,
)
from functions.data.incidents import Incidents
from functions.data.job_state import JobStateWrites
from functions.data.models import (
    CancelAttribute,
    IdempotencyModel,
    ItemErrorAttribute,
    JobStateModel,
    ReleaseAttribute,
    RunModel,
    TickModel,
    UnconfirmedAttribute,
    idempotency_key,
    job_state_key,
    tick_key,
)
from functions.data.retry import Backoff
from functions.data.run_fencing import (
    Fence,
    NotCancellableError,
    lock_is_free,
    not_paused,
    outcome_state_actions,
    refused_by_cancel,
    take_lock,
)
from functions.data.run_queries import RunQueries
from functions.data.run_types import (
    MAX_ITEM_ERRORS,
    MAX_UNCONFIRMED,
    Caller,
    LogLocation,
    Outcome,
    RunError,
    Unconfirmed,
)
from functions.data.transactions import ConditionRefusedError, commit
from functions.data.vocabulary import RunStatus, Trigger
from functions.ids import tick_run_id

IDEMPOTENCY_WINDOW = timedelta(hours=24)


def _trimmed(item_errors: Iterable[dict[str, str]]) -> list[ItemErrorAttribute]:
    return [ItemErrorAttribute(key=e["key"], reason=e["reason"]) for e in list(item_errors)[:MAX_ITEM_ERRORS]]


def _unconfirmed(items: Iterable[Unconfirmed]) -> list[UnconfirmedAttribute]:
    return [
        UnconfirmedAttribute(claim=u.claim, item=u.item, reason=u.reason[:500])
        for u in list(items)[:MAX_UNCONFIRMED]
    ]


class RunLog(RunQueries, JobStateWrites, ActivityTrail, Incidents):
    """Repository over the run-log, job-state and journal tables."""

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

    # --- starting runs -------------------------------------------------------------------------

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

    def create_queued(
        self,
        job: str,
        run_id: str,
        now: datetime,
        lease_until: datetime,
        caller: Caller,
        reason: str | None,
        idempotency: str | None = None,
        *,
        retry_of: str | None = None,
    ) -> RunModel:
        """A manual run: it holds the job's lock from the moment it is queued, so a tick cannot slip in."""
        run = self._new_run(job, run_id, RunStatus.QUEUED, Trigger.MANUAL, now)
        run.caller = caller.to_attribute()
        run.reason = reason
        run.retry_of = retry_of
        run.deadline_at = lease_until

        def attempt() -> RunModel:
            transaction = self._transaction()
            if idempotency is not None:
                transaction.save(
                    IdempotencyModel(
                        idempotency_key(caller.sub, idempotency),
                        run_id=run_id,
                        expires_at=now + IDEMPOTENCY_WINDOW,
                    ),
                    condition=IdempotencyModel.pk.does_not_exist(),
                    return_values="ALL_OLD",
                )
            transaction.save(run, condition=RunModel.run_id.does_not_exist())
            take_lock(transaction, job, run_id, lease_until, lock_is_free(now))
            try:
                commit(transaction, f"queueing a run of '{job}'")
            except ConditionRefusedError as refused:
                # Positions: [idempotency key,] run (puts), then the job state (update).
                first = 0 if idempotency is not None else -1
                if refused.at(first):
                    return self.get_run(refused.stored(first, "run_id") or "")
                state = first + 2
                if refused.at(state):
                    raise JobBusyError(job, refused.stored(state, "lock_run_id")) from refused
                return self.get_run(run_id)  # the run exists: an earlier attempt landed
            return run

        return self._retrying(f"queueing a run of '{job}'", attempt)

    def take_over_queued(self, run_id: str, now: datetime, deadline: datetime, logs: LogLocation) -> RunModel:
        """The job's invocation adopts the run the API queued; a redelivered invocation finds it taken."""
        return self._adopt(
            run_id,
            logs,
            lambda run: run.status == RunStatus.RUNNING.value,
            [
                RunModel.status.set(RunStatus.RUNNING.value),
                RunModel.started_at.set(now),
                RunModel.deadline_at.set(deadline),
            ],
            RunModel.status == RunStatus.QUEUED.value,
            deadline,
            f"run {run_id} is no longer queued",
        )

    def resume_segment(self, run_id: str, segment: int, deadline: datetime, logs: LogLocation) -> RunModel:
        """A continuation invocation claims segment N once; a duplicate delivery of it is refused."""
        return self._adopt(
            run_id,
            logs,
            lambda run: run.status == RunStatus.RUNNING.value and int(run.segment) == segment,
            [RunModel.segment.set(segment), RunModel.deadline_at.set(deadline)],
            (RunModel.status == RunStatus.RUNNING.value) & (RunModel.segment == segment - 1),
            deadline,
            f"run {run_id} cannot continue as segment {segment}",
        )

    def _adopt(
        self,
        run_id: str,
        logs: LogLocation,
        adopted: Callable[[RunModel], bool],
        actions: list[Action],
        condition: Condition,
        deadline: datetime,
        refusal: str,
    ) -> RunModel:
        def attempt() -> RunModel:
            run = self.get_run(run_id)
            if (
                run.status == RunStatus.RUNNING.value
                and logs.request_id
                and run.request_id == logs.request_id
            ):
                return run  # this invocation adopted it already; the answer of that write was lost
            transaction = self._transaction()
            transaction.update(
                run,
                actions=[
                    *actions,
                    RunModel.job_status.set(f"{run.job}#{RunStatus.RUNNING.value}"),
                    RunModel.logs.set(logs.to_attribute()),
                ],
                condition=condition,
            )
            transaction.update(
                JobStateModel(job_state_key(run.job)),
                actions=[JobStateModel.lock_expires_at.set(deadline)],
                condition=JobStateModel.lock_run_id == run_id,
            )
            try:
                commit(transaction, f"adopting run {run_id}")
            except ConditionRefusedError as refused:
                raise StaleRunError(refusal) from refused
            return self.get_run(run_id)

        return self._retrying(f"adopting run {run_id}", attempt)

    # --- progress and outcome ------------------------------------------------------------------

    def save_progress(
        self,
        run: RunModel,
        counts: dict[str, int],
        item_errors: list[dict[str, str]],
        cursor: str | None,
        *,
        unconfirmed: Iterable[Unconfirmed] = (),
        lease_until: datetime | None = None,
    ) -> None:
        """Saves counts and the cursor while this segment still owns the run and its job's lock."""
        segment = int(run.segment)
        run_actions: list[Action] = [
            RunModel.counts.set(counts),
            RunModel.item_errors.set(_trimmed(item_errors)),
            RunModel.unconfirmed.set(_unconfirmed(unconfirmed)),
            RunModel.cursor.set(cursor) if cursor is not None else RunModel.cursor.remove(),
        ]
        state_actions: list[Action] = [JobStateModel.job.set(run.job)]
        if lease_until is not None:
            run_actions.append(RunModel.deadline_at.set(lease_until))
            state_actions.append(JobStateModel.lock_expires_at.set(lease_until))

        fence = Fence.segment(segment)

        def attempt() -> None:
            transaction = self._transaction()
            # ALL_OLD on a refusal tells a cancel mark from a lost run, without a read per checkpoint.
            transaction.update(run, actions=run_actions, condition=fence.condition, return_values="ALL_OLD")
            transaction.update(
                JobStateModel(job_state_key(run.job)),
                actions=state_actions,
                condition=JobStateModel.lock_run_id == run.run_id,
            )
            try:
                commit(transaction, f"saving the progress of run {run.run_id}")
            except ConditionRefusedError as refused:
                cancel = (
                    None if refused.at(1) else refused_by_cancel(run.run_id, fence, refused.refused.get(0))
                )
                if cancel is not None:
                    raise cancel from refused
                raise StaleRunError(
                    f"run {run.run_id} segment {segment} no longer owns the run or its job"
                ) from refused

        self._retrying(f"saving the progress of run {run.run_id}", attempt)
        if lease_until is not None:
            run.deadline_at = lease_until

    def finish(self, run_id: str, outcome: Outcome, now: datetime, fence: Fence) -> RunModel:
        """Records the outcome if `fence` still holds and, in the same transaction, frees the job's lock if
        this run holds it and moves the job's last outcome forward unless a newer run already reported."""
        return self._retrying(
            f"recording the outcome of run {run_id}", lambda: self._finish_once(run_id, outcome, now, fence)
        )

    def _finish_once(self, run_id: str, outcome: Outcome, now: datetime, fence: Fence) -> RunModel:
        run = self.get_run(run_id)
        if run.status == outcome.status.value and run.finished_at == now:
            return run  # this very outcome landed on an earlier attempt whose answer was lost
        started = run.started_at or run.queued_at
        status = outcome.status
        run_actions: list[Action] = [
            RunModel.status.set(status.value),
            RunModel.job_status.set(f"{run.job}#{status.value}"),
            RunModel.finished_at.set(now),
            RunModel.duration_ms.set(max(0, int((now - started).total_seconds() * 1000))),
            RunModel.counts.set(outcome.counts),
            RunModel.item_errors.set(_trimmed(outcome.item_errors)),
            RunModel.unconfirmed.set(_unconfirmed(outcome.unconfirmed)),
            RunModel.cursor.remove(),
        ]
        if outcome.error is not None:
            run_actions.append(RunModel.error.set(outcome.error.to_attribute()))
        state = self.get_state(run.job)
        transaction = self._transaction()
        transaction.update(run, actions=run_actions, condition=fence.condition, return_values="ALL_OLD")
        outcome_actions = outcome_state_actions(run.job, run_id, status, now)
        newer_reported = state.last_run_id is not None and state.last_run_id > run_id
        if state.lock_run_id == run_id:
            transaction.update(
                JobStateModel(job_state_key(run.job)),
                actions=[
                    *([] if newer_reported else outcome_actions),
                    JobStateModel.lock_run_id.remove(),
                    JobStateModel.lock_expires_at.remove(),
                ],
                condition=JobStateModel.lock_run_id == run_id,
            )
        elif not newer_reported:
            transaction.update(
                JobStateModel(job_state_key(run.job)),
                actions=outcome_actions,
                condition=(JobStateModel.last_run_id.does_not_exist() | (JobStateModel.last_run_id <= run_id))
                & (JobStateModel.lock_run_id.does_not_exist() | (JobStateModel.lock_run_id != run_id)),
            )
        try:
            commit(transaction, f"recording the outcome of run {run_id}")
        except ConditionRefusedError as refused:
            if refused.at(0):
                cancel = refused_by_cancel(run_id, fence, refused.refused.get(0))
                if cancel is not None:
                    raise cancel from refused
                raise StaleRunError(f"run {run_id} was closed by another writer") from refused
            # The job state moved between the read and the write: read it again and decide again.
            raise TransientStorageError(
                f"the state of '{run.job}' changed while run {run_id} finished"
            ) from refused
        return self.get_run(run_id)

    def request_cancel(self, run_id: str, caller: Caller, reason: str, now: datetime) -> RunModel:
        """Marks a QUEUED or RUNNING run to be cancelled; its runner ends it at its next checkpoint.

        Raises NotFoundError, or NotCancellableError naming the run's status (finished, or a cancel pending).
        """
        mark = CancelAttribute(by=caller.to_attribute(), at=now, reason=reason)
        in_flight = RunModel.status.is_in(RunStatus.QUEUED.value, RunStatus.RUNNING.value)

        def attempt() -> RunModel:
            run = RunModel(run_id)
            with storage_errors(f"cancelling run {run_id}"):
                try:
                    run.update(
                        actions=[RunModel.cancel.set(mark)],
                        condition=in_flight & RunModel.cancel.does_not_exist(),
                    )
                except PynamoDBException as error:
                    if not is_condition_failure(error):
                        raise
                    return self._explain_cancel_refusal(run_id, caller, now)
            return run

        result: RunModel = self._retrying(f"cancelling run {run_id}", attempt)
        return result

    def _explain_cancel_refusal(self, run_id: str, caller: Caller, now: datetime) -> RunModel:
        run = self.get_run(run_id)
        cancel = run.cancel
        if cancel is not None and cancel.by.sub == caller.sub and cancel.at == now:
            return run  # this very mark landed on an earlier attempt whose answer was lost
        pending = cancel is not None and RunStatus(run.status).in_flight
        by = (cancel.by.username or cancel.by.sub) if cancel is not None and pending else None
        raise NotCancellableError(run_id, run.status, by)

    def record_release(
        self, run_id: str, caller: Caller, reason: str, claims: list[str], now: datetime
    ) -> None:
        """Appends an admin's release of unconfirmed emails to the run: the audit record of who, when, why."""
        entry = ReleaseAttribute(by=caller.to_attribute(), at=now, reason=reason, claims=claims)
        run = self.get_run(run_id)
        self._retrying(
            f"recording a release on run {run_id}",
            lambda: self._update_run(run, [RunModel.releases.set((RunModel.releases | []).append([entry]))]),
        )

    @staticmethod
    def _update_run(run: RunModel, actions: list[Action]) -> None:
        with storage_errors(f"updating run {run.run_id}"):
            run.update(actions=actions)
