"""Statistics and daily trends of a job over a time window, so a burst of manual runs hides nothing.

Only SUCCEEDED counts as a success: a PARTIAL run left items undone and is counted as a problem, and so is
a MISSED tick (no run at all), so a job that skipped a night never reads 100%.
Days are the job's own calendar days (its schedule's time zone), oldest first, with empty days kept
so a chart shows the gap of a day without runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from statistics import quantiles
from typing import Any
from zoneinfo import ZoneInfo

from functions.clock import isoformat
from functions.data.models import RunModel
from functions.data.vocabulary import FINISHED_STATUSES, RunStatus

WINDOW_DAYS = 7
# The window is read by key (run ids sort by time); this caps one read at a few hundred kilobytes.
MAX_WINDOW_RUNS = 1000
PROBLEM_STATUSES = (RunStatus.FAILED, RunStatus.TIMED_OUT, RunStatus.PARTIAL, RunStatus.MISSED)
# What the success rate divides by: every finished run and every tick that started none. CANCELLED is counted
# on its own: an admin stopped the run, so it is neither a success nor a failure.
COUNTED_STATUSES = (*FINISHED_STATUSES, RunStatus.MISSED)
TREND_STATUSES = (*COUNTED_STATUSES, RunStatus.SKIPPED, RunStatus.CANCELLED)


def percentile(durations: Sequence[int], fraction: float) -> int | None:
    if not durations:
        return None
    if len(durations) == 1:
        return durations[0]
    cuts = quantiles(sorted(durations), n=100, method="inclusive")
    return round(cuts[int(fraction * 100) - 1])


def _durations(runs: Sequence[RunModel]) -> list[int]:
    return [int(run.duration_ms) for run in runs if run.duration_ms is not None]


def _finished(runs: Sequence[RunModel]) -> list[RunModel]:
    return [run for run in runs if run.status in COUNTED_STATUSES]


def window_stats(runs: Sequence[RunModel], since: datetime, complete: bool) -> dict[str, Any]:
    finished = _finished(runs)
    durations = _durations(finished)
    by_status = {status.value: sum(run.status == status for run in runs) for status in TREND_STATUSES}
    succeeded = by_status[RunStatus.SUCCEEDED.value]
    return {
        "window_days": WINDOW_DAYS,
        "since": isoformat(since),
        "complete": complete,
        "runs": len(finished),
        "by_status": by_status,
        "success_rate": round(succeeded / len(finished), 3) if finished else None,
        "p50_duration_ms": percentile(durations, 0.5),
        "p95_duration_ms": percentile(durations, 0.95),
    }


def _day_of(run: RunModel, zone: ZoneInfo) -> date:
    moment = run.started_at or run.scheduled_for or run.queued_at
    return moment.astimezone(zone).date()


def daily_trends(runs: Sequence[RunModel], timezone: str, now: datetime) -> list[dict[str, Any]]:
    """Runs by outcome and duration p50/p95 per day of the window, oldest first."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    days = [today - timedelta(days=offset) for offset in range(WINDOW_DAYS - 1, -1, -1)]
    grouped: dict[date, list[RunModel]] = {day: [] for day in days}
    for run in runs:
        day = _day_of(run, zone)
        if day in grouped:
            grouped[day].append(run)
    trends = []
    for day in days:
        day_runs = grouped[day]
        durations = _durations(_finished(day_runs))
        trends.append(
            {
                "date": day.isoformat(),
                "by_status": {
                    status.value: sum(run.status == status for run in day_runs) for status in TREND_STATUSES
                },
                "p50_duration_ms": percentile(durations, 0.5),
                "p95_duration_ms": percentile(durations, 0.95),
            }
        )
    return trends
