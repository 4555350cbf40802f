"""Each job's status: health, schedule, last outcomes and recent statistics, at a cost free of history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from statistics import quantiles
from typing import Any

from functions.catalog import JobDefinition
from functions.clock import isoformat
from functions.data.models import JobStateModel, RunModel
from functions.data.run_log import RunLog
from functions.data.vocabulary import FINISHED_STATUSES, Health, RunStatus
from functions.lifecycle.health import compute_health, due_tick, lock_is_live
from functions.lifecycle.views import run_summary

RECENT_RUNS = 20


def health_of(job: JobDefinition, state: JobStateModel, run_log: RunLog, now: datetime) -> Health:
    tick = due_tick(job, state, now)
    tick_has_run = tick is not None and run_log.find_tick_run(job.name, isoformat(tick)) is not None
    return compute_health(state, now, tick, tick_has_run)


def _percentile(durations: Sequence[int], fraction: float) -> int | None:
    if not durations:
        return None
    if len(durations) == 1:
        return durations[0]
    cuts = quantiles(durations, n=100, method="inclusive")
    return round(cuts[int(fraction * 100) - 1])


def _stats(runs: Sequence[RunModel]) -> dict[str, Any]:
    finished = [run for run in runs if run.status in FINISHED_STATUSES]
    durations = sorted(int(run.duration_ms) for run in finished if run.duration_ms is not None)
    good = sum(run.status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL) for run in finished)
    return {
        "runs": len(finished),
        "success_rate": round(good / len(finished), 3) if finished else None,
        "p50_duration_ms": _percentile(durations, 0.5),
        "p95_duration_ms": _percentile(durations, 0.95),
    }


def _pause(state: JobStateModel) -> dict[str, Any] | None:
    if not state.paused:
        return None
    by = state.paused_by
    return {
        "at": isoformat(state.paused_at) if state.paused_at else None,
        "by": by.username or by.email or by.sub if by else None,
        "reason": state.paused_reason,
    }


def job_status(
    job: JobDefinition, state: JobStateModel, runs: Sequence[RunModel], health: Health, now: datetime
) -> dict[str, Any]:
    next_run = None if state.paused else job.schedule.next_after(now)
    real_runs = [run for run in runs if run.status != RunStatus.SKIPPED]
    return {
        "job": job.name,
        "title": job.title,
        "description": job.description,
        "health": health.value,
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
        "last_success": _event(state.last_success_run_id, state.last_success_at),
        "last_failure": _event(state.last_failure_run_id, state.last_failure_at),
        "consecutive_failures": int(state.consecutive_failures or 0),
        "stats": _stats(runs),
        "recent_runs": [run_summary(run) for run in runs],
    }


def _event(run_id: str | None, at: datetime | None) -> dict[str, Any] | None:
    return {"run_id": run_id, "at": isoformat(at)} if run_id and at else None


def collect_status(jobs: Sequence[JobDefinition], run_log: RunLog, now: datetime) -> list[dict[str, Any]]:
    """One batch read of state, then per job one tick lookup and one bounded query of recent runs."""
    states = run_log.get_states([job.name for job in jobs])
    statuses = []
    for job in jobs:
        state = states[job.name]
        runs = run_log.recent_runs(job.name, RECENT_RUNS)
        statuses.append(job_status(job, state, runs, health_of(job, state, run_log, now), now))
    return statuses
