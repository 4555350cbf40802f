"""The run log and job state: every read and write of a run's lifecycle goes through `RunLog`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from functions.data.errors import (
    DuplicateTickError,
    JobBusyError,
    NotFoundError,
    StaleRunError,
    StorageError,
    is_condition_failure,
    storage_errors,
)
from functions.data.models import (
    CallerAttribute,
    ErrorAttribute,
    IdempotencyModel,
    ItemErrorAttribute,
    JobStateModel,
    LogsAttribute,
    RunModel,
    TickModel,
    idempotency_key,
    job_state_key,
    tick_key,
)
from functions.data.vocabulary import RunStatus, Trigger
from functions.ids import run_id_ceiling, run_id_floor, run_id_predecessor

MAX_ITEM_ERRORS = 50
IDEMPOTENCY_WINDOW = timedelta(hours=24)
_CONDITION_FAILED = "ConditionalCheckFailed"


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


def _raw_string(raw_item: dict[str, Any] | None, name: str) -> str | None:
    if not raw_item or name not in raw_item:
        return None
    value = raw_item[name].get("S")
    return str(value) if value is not None else None


def _lock_is_free(now: datetime) -> Condition:
    return JobStateModel.lock_run_id.does_not_exist() | (JobStateModel.lock_expires_at < now)


def _trimmed(item_errors: Iterable[dict[str, str]]) -> list[ItemErrorAttribute]:
    return [ItemErrorAttribute(key=e["key"], reason=e["reason"]) for e in list(item_errors)[:MAX_ITEM_ERRORS]]


def _outcome_state_actions(job: str, run_id: str, status: RunStatus, now: datetime) -> list[Any]:
    """Keeps the job's last outcomes on its state item, so status reads one item instead of history."""
    actions: list[Any] = [
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
    return [
        *actions,
        JobStateModel.last_success_run_id.set(run_id),
        JobStateModel.last_success_at.set(now),
        JobStateModel.consecutive_failures.set(0),
    ]


class RunLog:
    """Repository over the run-log and job-state tables."""

    def __init__(self, retention_days: int) -> None:
        self._retention = timedelta(days=retention_days)
        self._connection: Connection | None = None

    def _transaction(self) -> TransactWrite:
        if self._connection is None:
            self._connection = Connection(region=RunModel.Meta.region)
        return TransactWrite(connection=self._connection)

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

    def _tick(self, job: str, scheduled_for: str, run_id: str, now: datetime) -> TickModel:
        return TickModel(tick_key(job, scheduled_for), run_id=run_id, expires_at=now + self._retention)

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
        """Claims the tick, takes the lock and records the run RUNNING, all or nothing."""
        run = self._new_run(job, run_id, RunStatus.RUNNING, Trigger.SCHEDULE, now)
        run.scheduled_for = scheduled_for
        run.started_at = now
        run.deadline_at = deadline
        run.logs = logs.to_attribute()
        transaction = self._tick_transaction(run, scheduled_key, now)
        self._take_lock(transaction, job, run_id, deadline, now)
        self._commit_tick(transaction, job, scheduled_key)
        return run

    def _tick_transaction(self, run: RunModel, scheduled_key: str, now: datetime) -> TransactWrite:
        """A transaction claiming the tick for `run` and writing it: a redelivered tick finds its claim."""
        transaction = self._transaction()
        transaction.save(
            self._tick(run.job, scheduled_key, run.run_id, now),
            condition=TickModel.pk.does_not_exist(),
            return_values="ALL_OLD",
        )
        transaction.save(run, condition=RunModel.run_id.does_not_exist())
        return transaction

    @staticmethod
    def _take_lock(
        transaction: TransactWrite, job: str, run_id: str, lease_until: datetime, now: datetime
    ) -> None:
        transaction.update(
            JobStateModel(job_state_key(job)),
            actions=[
                JobStateModel.job.set(job),
                JobStateModel.lock_run_id.set(run_id),
                JobStateModel.lock_expires_at.set(lease_until),
            ],
            condition=_lock_is_free(now),
            return_values="ALL_OLD",
        )

    @staticmethod
    def _commit_tick(transaction: TransactWrite, job: str, scheduled_key: str) -> None:
        try:
            with transaction:
                pass
        except TransactWriteError as error:
            for reason in error.cancellation_reasons or []:
                if reason is None or reason.code != _CONDITION_FAILED:
                    continue
                pk = _raw_string(reason.raw_item, "pk") or ""
                if pk.startswith("TICK#"):
                    raise DuplicateTickError(
                        job, scheduled_key, _raw_string(reason.raw_item, "run_id")
                    ) from error
                if pk.startswith("JOB#"):
                    raise JobBusyError(job, _raw_string(reason.raw_item, "lock_run_id")) from error
            raise StorageError(f"starting a run of '{job}' failed: {error.cause_response_code}") from error

    def record_skipped(
        self,
        job: str,
        run_id: str,
        scheduled_for: datetime,
        scheduled_key: str,
        now: datetime,
        blocked_by: str,
    ) -> RunModel:
        run = self._new_run(job, run_id, RunStatus.SKIPPED, Trigger.SCHEDULE, now)
        run.scheduled_for = scheduled_for
        run.finished_at = now
        run.blocked_by = blocked_by
        self._commit_tick(self._tick_transaction(run, scheduled_key, now), job, scheduled_key)
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
        transaction = self._tick_transaction(run, scheduled_key, now)
        transaction.update(
            JobStateModel(job_state_key(job)),
            actions=_outcome_state_actions(job, run_id, RunStatus.FAILED, now),
        )
        self._commit_tick(transaction, job, scheduled_key)
        return run

    def create_queued(
        self,
        job: str,
        run_id: str,
        now: datetime,
        lease_until: datetime,
        caller: Caller,
        reason: str | None,
        idempotency: str | None = None,
    ) -> RunModel:
        """A manual run: it holds the job's lock from the moment it is queued, so a tick cannot slip in."""
        run = self._new_run(job, run_id, RunStatus.QUEUED, Trigger.MANUAL, now)
        run.caller = caller.to_attribute()
        run.reason = reason
        run.deadline_at = lease_until
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
        self._take_lock(transaction, job, run_id, lease_until, now)
        transaction.save(run, condition=RunModel.run_id.does_not_exist())
        try:
            with transaction:
                pass
        except TransactWriteError as error:
            for cancellation in error.cancellation_reasons or []:
                if cancellation is None or cancellation.code != _CONDITION_FAILED:
                    continue
                pk = _raw_string(cancellation.raw_item, "pk") or ""
                if pk.startswith("IDEMPOTENCY#"):
                    existing = _raw_string(cancellation.raw_item, "run_id")
                    return self.get_run(existing or "")
                if pk.startswith("JOB#"):
                    raise JobBusyError(job, _raw_string(cancellation.raw_item, "lock_run_id")) from error
            raise StorageError(f"queueing a run of '{job}' failed: {error.cause_response_code}") from error
        return run

    def take_over_queued(self, run_id: str, now: datetime, deadline: datetime, logs: LogLocation) -> RunModel:
        """The job's invocation adopts the run the API queued; a redelivered invocation finds it taken."""
        run = self.get_run(run_id)
        transaction = self._transaction()
        transaction.update(
            run,
            actions=[
                RunModel.status.set(RunStatus.RUNNING.value),
                RunModel.job_status.set(f"{run.job}#{RunStatus.RUNNING.value}"),
                RunModel.started_at.set(now),
                RunModel.deadline_at.set(deadline),
                RunModel.logs.set(logs.to_attribute()),
            ],
            condition=RunModel.status == RunStatus.QUEUED.value,
        )
        transaction.update(
            JobStateModel(job_state_key(run.job)),
            actions=[JobStateModel.lock_expires_at.set(deadline)],
            condition=JobStateModel.lock_run_id == run_id,
        )
        try:
            with transaction:
                pass
        except TransactWriteError as error:
            raise StaleRunError(f"run {run_id} is no longer queued") from error
        return self.get_run(run_id)

    def resume_segment(self, run_id: str, segment: int, deadline: datetime, logs: LogLocation) -> RunModel:
        """A continuation invocation claims segment N once; a duplicate delivery of it is refused."""
        run = self.get_run(run_id)
        transaction = self._transaction()
        transaction.update(
            run,
            actions=[
                RunModel.segment.set(segment),
                RunModel.deadline_at.set(deadline),
                RunModel.logs.set(logs.to_attribute()),
            ],
            condition=(RunModel.status == RunStatus.RUNNING.value) & (RunModel.segment == segment - 1),
        )
        transaction.update(
            JobStateModel(job_state_key(run.job)),
            actions=[JobStateModel.lock_expires_at.set(deadline)],
            condition=JobStateModel.lock_run_id == run_id,
        )
        try:
            with transaction:
                pass
        except TransactWriteError as error:
            raise StaleRunError(f"run {run_id} cannot continue as segment {segment}") from error
        return self.get_run(run_id)

    # --- progress and outcome ------------------------------------------------------------------

    def save_progress(
        self,
        run: RunModel,
        counts: dict[str, int],
        item_errors: list[dict[str, str]],
        cursor: str | None,
        lease_until: datetime | None = None,
    ) -> None:
        actions: list[Action] = [
            RunModel.counts.set(counts),
            RunModel.item_errors.set(_trimmed(item_errors)),
            RunModel.cursor.set(cursor) if cursor is not None else RunModel.cursor.remove(),
        ]
        if lease_until is not None:
            actions.append(RunModel.deadline_at.set(lease_until))
        with storage_errors("saving run progress"):
            try:
                run.update(actions=actions, condition=RunModel.status == RunStatus.RUNNING.value)
            except PynamoDBException as error:
                if is_condition_failure(error):
                    raise StaleRunError(f"run {run.run_id} is no longer running") from error
                raise
        if lease_until is not None:
            self._extend_lease(run.job, run.run_id, lease_until)

    def _extend_lease(self, job: str, run_id: str, lease_until: datetime) -> None:
        with storage_errors("extending a lock"):
            try:
                JobStateModel(job_state_key(job)).update(
                    actions=[JobStateModel.lock_expires_at.set(lease_until)],
                    condition=JobStateModel.lock_run_id == run_id,
                )
            except PynamoDBException as error:
                if is_condition_failure(error):
                    raise StaleRunError(f"run {run_id} no longer holds the lock of '{job}'") from error
                raise

    def finish(self, run_id: str, outcome: Outcome, now: datetime, expected: Sequence[RunStatus]) -> RunModel:
        """Records the outcome if the run is still `expected`, then frees the lock if it still holds it."""
        run = self.get_run(run_id)
        started = run.started_at or run.queued_at
        status = outcome.status
        run_actions: list[Action] = [
            RunModel.status.set(status.value),
            RunModel.job_status.set(f"{run.job}#{status.value}"),
            RunModel.finished_at.set(now),
            RunModel.duration_ms.set(max(0, int((now - started).total_seconds() * 1000))),
            RunModel.counts.set(outcome.counts),
            RunModel.item_errors.set(_trimmed(outcome.item_errors)),
            RunModel.cursor.remove(),
        ]
        if outcome.error is not None:
            run_actions.append(RunModel.error.set(outcome.error.to_attribute()))
        state_actions = _outcome_state_actions(run.job, run_id, status, now)
        transaction = self._transaction()
        transaction.update(
            run, actions=run_actions, condition=RunModel.status.is_in(*[s.value for s in expected])
        )
        transaction.update(JobStateModel(job_state_key(run.job)), actions=state_actions)
        try:
            with transaction:
                pass
        except TransactWriteError as error:
            raise StaleRunError(f"run {run_id} was already finished") from error
        self.release_lock(run.job, run_id)
        return self.get_run(run_id)

    def release_lock(self, job: str, run_id: str) -> bool:
        with storage_errors("releasing a lock"):
            try:
                JobStateModel(job_state_key(job)).update(
                    actions=[JobStateModel.lock_run_id.remove(), JobStateModel.lock_expires_at.remove()],
                    condition=JobStateModel.lock_run_id == run_id,
                )
            except PynamoDBException as error:
                if is_condition_failure(error):
                    return False
                raise
        return True

    # --- reads ---------------------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunModel:
        with storage_errors("reading a run"):
            try:
                return RunModel.get(run_id, consistent_read=True)
            except RunModel.DoesNotExist:
                raise NotFoundError("run", run_id) from None

    def find_tick_run(self, job: str, scheduled_key: str) -> str | None:
        with storage_errors("reading a tick"):
            try:
                return TickModel.get(tick_key(job, scheduled_key), consistent_read=True).run_id
            except TickModel.DoesNotExist:
                return None

    def get_states(self, jobs: Sequence[str]) -> dict[str, JobStateModel]:
        """One batch read for every job's state; a job never seen gets a blank state."""
        with storage_errors("reading job state"):
            found = {state.job: state for state in JobStateModel.batch_get([job_state_key(j) for j in jobs])}
        return {job: found.get(job) or JobStateModel(job_state_key(job), job=job) for job in jobs}

    def get_state(self, job: str) -> JobStateModel:
        return self.get_states([job])[job]

    def ensure_tracking(self, job: str, now: datetime) -> None:
        """Marks when the service started expecting ticks of a job: earlier ticks never count as missed."""
        with storage_errors("starting to track a job"):
            try:
                JobStateModel(job_state_key(job)).update(
                    actions=[JobStateModel.job.set(job), JobStateModel.tracking_since.set(now)],
                    condition=JobStateModel.tracking_since.does_not_exist(),
                )
            except PynamoDBException as error:
                if not is_condition_failure(error):
                    raise

    def set_paused(self, job: str, paused: bool, caller: Caller, reason: str | None, now: datetime) -> None:
        actions: list[Action] = [
            JobStateModel.job.set(job),
            JobStateModel.paused.set(paused),
            JobStateModel.paused_by.set(caller.to_attribute()),
            JobStateModel.paused_reason.set(reason) if reason else JobStateModel.paused_reason.remove(),
        ]
        actions.append(JobStateModel.paused_at.set(now) if paused else JobStateModel.resumed_at.set(now))
        with storage_errors("pausing a job"):
            JobStateModel(job_state_key(job)).update(actions=actions)

    def set_alert_incident(self, job: str, incident: str | None) -> None:
        action = (
            JobStateModel.alert_incident.set(incident) if incident else JobStateModel.alert_incident.remove()
        )
        with storage_errors("recording an alert"):
            JobStateModel(job_state_key(job)).update(actions=[JobStateModel.job.set(job), action])

    def recent_runs(self, job: str, limit: int) -> list[RunModel]:
        with storage_errors("listing runs"):
            return list(RunModel.job_index.query(job, scan_index_forward=False, limit=limit))

    def query_runs(self, query: RunQuery) -> RunPage:
        """Newest first across the requested jobs: one indexed query per job, merged by run id."""
        low = run_id_floor(query.since) if query.since else None
        high = run_id_ceiling(query.until) if query.until else None
        if query.before_run_id:
            before = run_id_predecessor(query.before_run_id)
            high = min(high, before) if high else before
        if low and high and low > high:
            return RunPage(runs=[], last_run_id=None)
        merged: list[RunModel] = []
        for job in query.jobs:
            merged.extend(self._query_job(job, query, low, high))
        merged.sort(key=lambda run: run.run_id, reverse=True)
        page = merged[: query.limit]
        more = len(merged) > query.limit
        return RunPage(runs=page, last_run_id=page[-1].run_id if more and page else None)

    def _query_job(self, job: str, query: RunQuery, low: str | None, high: str | None) -> list[RunModel]:
        key_condition: Condition | None = None
        if low and high:
            key_condition = RunModel.run_id.between(low, high)
        elif high:
            key_condition = RunModel.run_id <= high
        elif low:
            key_condition = RunModel.run_id >= low
        filter_condition = None
        if query.status is not None:
            index: Any = RunModel.job_status_index
            partition = f"{job}#{query.status.value}"
            if query.trigger is not None:
                filter_condition = RunModel.trigger == query.trigger.value
        elif query.trigger is not None:
            index = RunModel.job_trigger_index
            partition = f"{job}#{query.trigger.value}"
        else:
            index = RunModel.job_index
            partition = job
        with storage_errors("listing runs"):
            return list(
                index.query(
                    partition,
                    key_condition,
                    filter_condition,
                    scan_index_forward=False,
                    limit=query.limit + 1,
                )
            )
