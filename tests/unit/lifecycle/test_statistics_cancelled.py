"""A CANCELLED run in the statistics: counted on its own, neither a success nor a failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from functions.data.models import RunModel
from functions.lifecycle.statistics import daily_trends, window_stats

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _run(status: str, started: datetime, duration_ms: int = 1000) -> RunModel:
    return RunModel(
        f"01M8GP3ZM0NKF27Q1V8DYJ1Y8{status[0]}",
        job="sequences",
        status=status,
        trigger="MANUAL",
        job_status=f"sequences#{status}",
        job_trigger="sequences#MANUAL",
        queued_at=started,
        started_at=started,
        duration_ms=duration_ms,
    )


def test_given_a_cancelled_run_when_summarised_then_it_is_counted_apart_and_not_in_the_success_rate():
    runs = [_run("SUCCEEDED", NOW), _run("CANCELLED", NOW, 400_000)]

    stats = window_stats(runs, NOW - timedelta(days=7), complete=True)

    assert stats["by_status"]["CANCELLED"] == 1
    assert stats["runs"] == 1
    assert stats["success_rate"] == 1.0
    # Its duration is an admin's decision, not the job's speed.
    assert stats["p95_duration_ms"] == 1000


def test_given_a_cancelled_run_when_trended_then_its_day_counts_it():
    trends = daily_trends([_run("CANCELLED", NOW)], "UTC", NOW)

    assert trends[-1]["by_status"]["CANCELLED"] == 1
