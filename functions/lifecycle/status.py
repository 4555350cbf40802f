"""Each job's status: health, schedule, last outcomes and statistics over a time window.

The status never flatters: a PARTIAL run is not a success (it is the job's "last problem", as are
FAILED and TIMED_OUT runs), and a LATE job names the tick that did not run and what to check.
Reads per job: its tick(s), the recent runs for the strip, and one key-bounded query of the window;
only when the window holds no success or no problem, one indexed query per missing status.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from functions.catalog import JobDefinition
from functions.clock import isoformat
from functions.data.models import IncidentModel, JobStateModel, RunModel
from functions.data.run_log import RunLog
from functions.data.run_types import RunQuery
from functions.data.vocabulary import Health, RunStatus
from functions.lifecycle.health import compute_health, late_notice, lock_is_live, missed_tick
from functions.lifecycle.incident_views import incident_view
from functions.lifecycle.statistics import (
    MAX_WINDOW_RUNS,
    PROBLEM_STATUSES,
    WINDOW_DAYS,
    daily_trends,
    window_stats,
)
from functions.lifecycle.views import problem_view, run_summary
from functions.settings import get_settings

RECENT_RUNS = 20


def late_tick(job: JobDefinition, state: JobStateModel, run_log: RunLog, now: datetime) -> datetime | None:
    return missed_tick(
        job, state, now, lambda tick: run_log.find_tick_run(job.name, isoformat(tick)) is not None
    )


def health_of(job: JobDefinition, state: JobStateModel, run_log: RunLog, now: datetime) -> Health:
    return compute_health(state, now, late_tick(job, state, run_log, now), tick_has_run=False)


def _pause(state: JobStateModel) -> dict[str, Any] | None:
    if not state.paused:
        return None
    by = state.paused_by
    return {
        "at": isoformat(state.paused_at) if state.paused_at else None,
        "by": by.username or by.email or by.sub if by else None,
        "reason": state.paused_reason,
    }


def _event(run_id: str | None, at: datetime | None) -> dict[str, Any] | None:
    return {"run_id": run_id, "at": isoformat(at)} if run_id and at else None


def _run_event(run: RunModel | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return _event(run.run_id, run.finished_at or run.queued_at)


class JobHistory:
    """What one job's status reads of its history: the window, and the newest success and problem."""

    def __init__(self, job: JobDefinition, run_log: RunLog, now: datetime) -> None:
        self.since = now - timedelta(days=WINDOW_DAYS)
        page = run_log.query_runs(RunQuery(jobs=[job.name], since=self.since, limit=MAX_WINDOW_RUNS))
        self.window = page.runs
        self.complete = page.last_run_id is None
        self.recent = run_log.recent_runs(job.name, RECENT_RUNS)
        self.last_success = self._newest(job, run_log, (RunStatus.SUCCEEDED,))
        self.last_problem = self._newest(job, run_log, PROBLEM_STATUSES)

    def _newest(self, job: JobDefinition, run_log: RunLog, statuses: Sequence[RunStatus]) -> RunModel | None:
        for run in self.window:
            if run.status in statuses:
                return run
        # Not in the window (or the window was cut at its cap): the newest older one, one query per status.
        found = [
            page.runs[0]
            for status in statuses
            if (page := run_log.query_runs(RunQuery(jobs=[job.name], status=status, limit=1))).runs
        ]
        return max(found, key=lambda run: run.run_id) if found else None


def job_status(
    job: JobDefinition,
    state: JobStateModel,
    history: JobHistory,
    late: datetime | None,
    now: datetime,
    with_trends: bool = False,
    incident: IncidentModel | None = None,
) -> dict[str, Any]:
    health = compute_health(state, now, late, tick_has_run=False)
    prefix = get_settings().resource_prefix
    next_run = None if state.paused else job.schedule.next_after(now)
    real_runs = [run for run in history.recent if run.status not in (RunStatus.SKIPPED, RunStatus.MISSED)]
    status: dict[str, Any] = {
        "job": job.name,
        "title": job.title,
        "description": job.description,
        "health": health.value,
        "late": late_notice(job, late, prefix) if health is Health.LATE and late else None,
        "schedule": {
            "expression": job.schedule_expression,
            "timezone": job.timezone,
            "description": job.schedule.describe(),
            "next_run_at": isoformat(next_run) if next_run else None,
            "grace_minutes": job.grace_minutes,
        },
        "paused": _pause(state),
        # Shown even while paused: a manual run can be in flight on a paused job.
        "in_flight_run_id": state.lock_run_id if lock_is_live(state, now) else None,
        "last_run": run_summary(real_runs[0]) if real_runs else None,
        "last_success": _run_event(history.last_success),
        "last_failure": _event(state.last_failure_run_id, state.last_failure_at),
        "last_problem": problem_view(history.last_problem) if history.last_problem else None,
        "consecutive_failures": int(state.consecutive_failures or 0),
        "incident": incident_view(incident) if incident else None,
        "stats": window_stats(history.window, history.since, history.complete),
        "recent_runs": [run_summary(run) for run in history.recent],
    }
    if with_trends:
        status["trends"] = daily_trends(history.window, job.timezone, now)
    return status


def collect_status(
    jobs: Sequence[JobDefinition], run_log: RunLog, now: datetime, with_trends: bool = False
) -> list[dict[str, Any]]:
    """One batch read of state, then per job its tick lookups and the key-bounded reads of `JobHistory`, and
    the open incident of a job whose state names one."""
    states = run_log.get_states([job.name for job in jobs])
    incidents = run_log.open_incidents(list(states.values()))
    statuses = []
    for job in jobs:
        state = states[job.name]
        history = JobHistory(job, run_log, now)
        late = late_tick(job, state, run_log, now)
        statuses.append(job_status(job, state, history, late, now, with_trends, incidents.get(job.name)))
    return statuses
