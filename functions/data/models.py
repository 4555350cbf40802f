"""pynamodb models of the run log and the job state. Infra builds the tables from these declarations."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from functions.settings import DEFAULT_PREFIX


def _table_name(variable: str, suffix: str) -> str:
    return os.environ.get(variable, f"{DEFAULT_PREFIX}-{suffix}")


def _region() -> str:
    return os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "eu-west-2"))


class CallerAttribute(MapAttribute[str, Any]):
    sub = UnicodeAttribute()
    username = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    groups = ListAttribute(of=UnicodeAttribute, default=list)


class ErrorAttribute(MapAttribute[str, Any]):
    type = UnicodeAttribute()
    message = UnicodeAttribute()
    stack = UnicodeAttribute(null=True)
    where = UnicodeAttribute(null=True)


class ItemErrorAttribute(MapAttribute[str, Any]):
    key = UnicodeAttribute()
    reason = UnicodeAttribute()


class UnconfirmedAttribute(MapAttribute[str, Any]):
    claim = UnicodeAttribute()
    item = UnicodeAttribute()
    reason = UnicodeAttribute()


class ReleaseAttribute(MapAttribute[str, Any]):
    """An admin's decision to let unconfirmed emails be sent again: who, when, why, which."""

    by = CallerAttribute()
    at = UTCDateTimeAttribute()
    reason = UnicodeAttribute()
    claims = ListAttribute(of=UnicodeAttribute, default=list)


class CancelAttribute(MapAttribute[str, Any]):
    """An admin's request to stop a run in flight: the runner honours it at its next checkpoint."""

    by = CallerAttribute()
    at = UTCDateTimeAttribute()
    reason = UnicodeAttribute()


class LogsAttribute(MapAttribute[str, Any]):
    log_group = UnicodeAttribute(null=True)
    log_stream = UnicodeAttribute(null=True)
    request_id = UnicodeAttribute(null=True)
    link = UnicodeAttribute(null=True)


class JobIndex(GlobalSecondaryIndex["RunModel"]):
    """Newest-first runs of one job."""

    class Meta:
        index_name = "job-index"
        projection = AllProjection()

    job = UnicodeAttribute(hash_key=True)
    run_id = UnicodeAttribute(range_key=True)


class JobStatusIndex(GlobalSecondaryIndex["RunModel"]):
    """Newest-first runs of one job in one status ("sequences#FAILED")."""

    class Meta:
        index_name = "job-status-index"
        projection = AllProjection()

    job_status = UnicodeAttribute(hash_key=True)
    run_id = UnicodeAttribute(range_key=True)


class JobTriggerIndex(GlobalSecondaryIndex["RunModel"]):
    """Newest-first runs of one job by trigger ("sequences#MANUAL"): manual runs stay cheap to list."""

    class Meta:
        index_name = "job-trigger-index"
        projection = AllProjection()

    job_trigger = UnicodeAttribute(hash_key=True)
    run_id = UnicodeAttribute(range_key=True)


class RunModel(Model):
    class Meta:
        table_name = _table_name("RUNS_TABLE_NAME", "runs")
        region = _region()
        billing_mode = "PAY_PER_REQUEST"

    run_id = UnicodeAttribute(hash_key=True)
    job = UnicodeAttribute()
    status = UnicodeAttribute()
    trigger = UnicodeAttribute()
    job_status = UnicodeAttribute()
    job_trigger = UnicodeAttribute()

    scheduled_for = UTCDateTimeAttribute(null=True)
    queued_at = UTCDateTimeAttribute()
    started_at = UTCDateTimeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    deadline_at = UTCDateTimeAttribute(null=True)
    duration_ms = NumberAttribute(null=True)

    caller = CallerAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    blocked_by = UnicodeAttribute(null=True)
    skip_reason = UnicodeAttribute(null=True)
    # A manual run started to retry the failed items of an earlier run: that run's id; on the earlier run,
    # the runs that retried it.
    retry_of = UnicodeAttribute(null=True)
    retried_by = ListAttribute(of=UnicodeAttribute, default=list)

    counts = MapAttribute[str, Any](default=dict)
    error = ErrorAttribute(null=True)
    item_errors = ListAttribute(of=ItemErrorAttribute, default=list)
    unconfirmed = ListAttribute(of=UnconfirmedAttribute, default=list)
    releases = ListAttribute(of=ReleaseAttribute, default=list)
    cancel = CancelAttribute(null=True)
    logs = LogsAttribute(null=True)

    cursor = UnicodeAttribute(null=True)
    segment = NumberAttribute(default=1)
    expires_at = TTLAttribute(null=True)

    job_index = JobIndex()
    job_status_index = JobStatusIndex()
    job_trigger_index = JobTriggerIndex()

    def count_values(self) -> dict[str, int]:
        raw = self.counts
        values = raw.as_dict() if isinstance(raw, MapAttribute) else (raw or {})
        return {name: int(value) for name, value in values.items()}

    def item_error_values(self) -> list[dict[str, str]]:
        return [{"key": error.key, "reason": error.reason} for error in self.item_errors or []]

    def unconfirmed_values(self) -> list[dict[str, str]]:
        return [{"claim": u.claim, "item": u.item, "reason": u.reason} for u in self.unconfirmed or []]

    @property
    def request_id(self) -> str | None:
        """The invocation now carrying the run (each continuation records its own)."""
        return self.logs.request_id if self.logs is not None else None


class _StateTable:
    """The job-state table holds several small item kinds under one string key `pk`."""

    table_name = _table_name("STATE_TABLE_NAME", "state")
    region = _region()
    billing_mode = "PAY_PER_REQUEST"


class JobStateModel(Model):
    """Per job: the lock, the pause, and the last outcomes, so status never reads run history."""

    class Meta(_StateTable):
        pass

    pk = UnicodeAttribute(hash_key=True)
    job = UnicodeAttribute()
    tracking_since = UTCDateTimeAttribute(null=True)

    lock_run_id = UnicodeAttribute(null=True)
    lock_expires_at = UTCDateTimeAttribute(null=True)

    paused = BooleanAttribute(default=False)
    paused_at = UTCDateTimeAttribute(null=True)
    paused_by = CallerAttribute(null=True)
    paused_reason = UnicodeAttribute(null=True)
    resumed_at = UTCDateTimeAttribute(null=True)

    last_run_id = UnicodeAttribute(null=True)
    last_run_status = UnicodeAttribute(null=True)
    last_run_finished_at = UTCDateTimeAttribute(null=True)
    last_failure_run_id = UnicodeAttribute(null=True)
    last_failure_at = UTCDateTimeAttribute(null=True)
    consecutive_failures = NumberAttribute(default=0)

    # The open incident's journal sort key (an older deployment stored only its kind): the fence of every
    # incident write, so two watchdog passes never open, close or alert one episode twice.
    alert_incident = UnicodeAttribute(null=True)
    # Every tick up to here was checked for a run (MISSED rows written): a pass walks only the ticks since.
    ticks_checked_until = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class TickModel(Model):
    """A schedule tick seen: its key is job + scheduled time, so a redelivered tick finds it."""

    class Meta(_StateTable):
        pass

    pk = UnicodeAttribute(hash_key=True)
    run_id = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)


class IdempotencyModel(Model):
    """An Idempotency-Key of a run-now request, remembered so a repeat returns the same run."""

    class Meta(_StateTable):
        pass

    pk = UnicodeAttribute(hash_key=True)
    run_id = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)


def job_state_key(job: str) -> str:
    return f"JOB#{job}"


def tick_key(job: str, scheduled_for: str) -> str:
    return f"TICK#{job}#{scheduled_for}"


def idempotency_key(caller_sub: str, key: str) -> str:
    # Not scoped by job: the same key sent to another job is a mismatch to refuse, not a new request.
    return f"IDEMPOTENCY#{caller_sub}#{key}"


class JournalModel(Model):
    """What happened around the runs, newest last under one key per job and kind: the admins' actions and the
    incidents. `sk` starts with the ISO time, so a key-range query lists a job's entries in time order."""

    class Meta:
        table_name = _table_name("JOURNAL_TABLE_NAME", "journal")
        region = _region()
        billing_mode = "PAY_PER_REQUEST"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    job = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)


class ActivityModel(JournalModel):
    """One admin action on a job: pause, resume, run now, retry, release, cancel — who, when, why."""

    action = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    by = CallerAttribute()
    reason = UnicodeAttribute(null=True)
    run_id = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)


class IncidentAlertAttribute(MapAttribute[str, Any]):
    at = UTCDateTimeAttribute()
    subject = UnicodeAttribute()
    # Why it did not go out (None: the topic accepted it).
    error = UnicodeAttribute(null=True)


class IncidentModel(JournalModel):
    """One LATE / FAILING / TIMED_OUT episode of a job: when it started and ended, and the alerts sent."""

    kind = UnicodeAttribute()
    incident_id = UnicodeAttribute(null=True)
    started_at = UTCDateTimeAttribute()
    ended_at = UTCDateTimeAttribute(null=True)
    run_id = UnicodeAttribute(null=True)
    missed_tick = UTCDateTimeAttribute(null=True)
    summary = UnicodeAttribute(null=True)
    end_summary = UnicodeAttribute(null=True)
    # The token of the move that closed it: a retry after a lost answer knows its own close.
    closed_by = UnicodeAttribute(null=True)
    alerts = ListAttribute(of=IncidentAlertAttribute, default=list)


def activity_key(job: str) -> str:
    return f"ACTIVITY#{job}"


def incident_key(job: str) -> str:
    return f"INCIDENT#{job}"


def journal_sort_key(at: datetime, entry_id: str) -> str:
    return f"{at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{entry_id}"


RUN_LOG_MODELS: tuple[type[Model], ...] = (RunModel, JobStateModel)
# Only the API (admins' actions) and the watchdog (incidents) use the journal; the jobs never do.
JOURNAL_MODELS: tuple[type[Model], ...] = (JournalModel,)
