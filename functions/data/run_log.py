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

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from functions.data.activity import ActivityTrail
from functions.data.errors import (
    JobBusyError,
    StaleRunError,
    TransientStorageError,
)
from functions.data.incidents import Incidents
from functions.data.job_state import JobStateWrites
from functions.data.models import (
    IdempotencyModel,
    ItemErrorAttribute,
    JobStateModel,
    RunModel,
    UnconfirmedAttribute,
    idempotency_key,
    job_state_key,
)
from functions.data.run_fencing import (
    Fence,
    lock_is_free,
    outcome_state_actions,
    refused_by_cancel,
    take_lock,
)
from functions.data.run_marks import RunMarks
from functions.data.run_queries import RunQueries
from functions.data.run_ticks import TickWrites
from functions.data.run_types import (
    MAX_ITEM_ERRORS,
    MAX_UNCONFIRMED,
    Caller,
    LogLocation,
    Outcome,
    Unconfirmed,
)
from functions.data.transactions import ConditionRefusedError, commit
from functions.data.vocabulary import RunStatus, Trigger

IDEMPOTENCY_WINDOW = timedelta(hours=24)


def _trimmed(item_errors: Iterable[dict[str, str]]) -> list[ItemErrorAttribute]:
    return [ItemErrorAttribute(key=e["key"], reason=e["reason"]) for e in list(item_errors)[:MAX_ITEM_ERRORS]]


def _unconfirmed(items: Iterable[Unconfirmed]) -> list[UnconfirmedAttribute]:
    return [
        UnconfirmedAttribute(claim=u.claim, item=u.item, reason=u.reason[:500])
        for u in list(items)[:MAX_UNCONFIRMED]
    ]


class RunLog(TickWrites, RunQueries, JobStateWrites, RunMarks, ActivityTrail, Incidents):
    """Repository over the run-log, job-state and journal tables."""

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
