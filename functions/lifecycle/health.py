"""A job's health, from its schedule and its state, like healthchecks.io's period + grace."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from functions.catalog import JobDefinition
from functions.clock import isoformat
from functions.data.models import JobStateModel
from functions.data.vocabulary import Health, RunStatus

ALERTING = {Health.LATE: "LATE", Health.FAILING: "FAILING"}


def due_tick(job: JobDefinition, state: JobStateModel, now: datetime) -> datetime | None:
    """The newest tick whose grace has run out and that the service was expected to run.

    Ticks before tracking began, or before the last resume, were never owed a run.
    """
    tick = job.schedule.previous_at_or_before(now - job.grace)
    if tick is None or state.tracking_since is None:
        return None
    owed_from = max(filter(None, [state.tracking_since, state.resumed_at]))
    return tick if tick >= owed_from else None


def missed_tick(
    job: JobDefinition, state: JobStateModel, now: datetime, tick_has_run: Callable[[datetime], bool]
) -> datetime | None:
    """The owed tick that started no run; none once a later tick has run, as the schedule works again."""
    tick = due_tick(job, state, now)
    if tick is None or tick_has_run(tick):
        return None
    latest = job.schedule.previous_at_or_before(now)
    if latest is not None and latest > tick and tick_has_run(latest):
        return None
    return tick


def late_notice(job: JobDefinition, tick: datetime, prefix: str) -> dict[str, Any]:
    """Which tick did not run and where to look, in the order that finds the usual causes fastest."""
    return {
        "missed_tick": isoformat(tick),
        "grace_minutes": job.grace_minutes,
        "checks": [
            "Is the schedule paused or disabled? Resume it here or check it in EventBridge Scheduler.",
            f"The schedule's dead-letter queue ({prefix}-{job.name}-schedule-dlq): a tick lands there "
            "when EventBridge Scheduler could not invoke the function (permissions, deleted function).",
            f"The function's Throttles metric ({prefix}-{job.name}): a throttled tick is retried, "
            "then dropped into the dead-letter queue.",
            "The function's logs around the tick: a crash before the run was recorded is listed as a "
            "FAILED run by the failure recorder.",
        ],
    }


def lock_is_live(state: JobStateModel, now: datetime) -> bool:
    """A run holds the job and is within its lease: in flight, not stuck."""
    return bool(state.lock_run_id and state.lock_expires_at and state.lock_expires_at > now)


def compute_health(state: JobStateModel, now: datetime, tick: datetime | None, tick_has_run: bool) -> Health:
    if state.paused:
        return Health.PAUSED
    if lock_is_live(state, now):
        return Health.RUNNING
    if tick is not None and not tick_has_run:
        return Health.LATE
    last = state.last_run_status
    if last in (RunStatus.FAILED.value, RunStatus.TIMED_OUT.value):
        return Health.FAILING
    if last == RunStatus.PARTIAL.value:
        return Health.DEGRADED
    if last == RunStatus.SUCCEEDED.value:
        return Health.HEALTHY
    return Health.NEW


def incident_of(health: Health, state: JobStateModel) -> str | None:
    """The alert an unhealthy job raises; a timed-out last run is named as such."""
    if health is Health.FAILING and state.last_run_status == RunStatus.TIMED_OUT.value:
        return "TIMED_OUT"
    return ALERTING.get(health)
