"""Next-run computation: the catalog's schedules against a minute-by-minute walk of the same expression."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bench.timing import compare, report
from functions.catalog import CATALOG, JobDefinition

CALLS = 2000
START = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # spans the spring-forward day in Europe/London


def _minute_walk_next(schedule, moment: datetime) -> datetime:
    """The obvious implementation: test every minute. Correct, and the baseline to beat."""
    candidate = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while schedule.previous_at_or_before(candidate) != candidate:
        candidate += timedelta(minutes=1)
    return candidate


WALK = "minute walk (baseline)"


def _bench(job: JobDefinition) -> None:
    schedule = job.schedule
    moments = [START + timedelta(minutes=7 * n) for n in range(CALLS)]
    walk_moments = moments[: CALLS // 100]  # the walk is slow: 1% of the calls keeps the run short
    timings = compare(
        {
            "next_after": lambda: [schedule.next_after(m) for m in moments],
            WALK: lambda: [_minute_walk_next(schedule, m) for m in walk_moments],
        },
        rounds=3,
    )
    per_call = {"next_after": timings["next_after"] / CALLS, WALK: timings[WALK] / len(walk_moments)}
    report(f"schedule math — {job.name} {job.schedule_expression} (per call)", per_call, "next_after")


def run() -> None:
    for job in CATALOG:
        _bench(job)
