"""Window statistics and daily trends: only SUCCEEDED is a success, days are the job's own calendar days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from functions.data.models import RunModel
from functions.lifecycle.statistics import daily_trends, percentile, window_stats

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _run(status: str, started: datetime, duration_ms: int | None = 1000) -> RunModel:
    return RunModel(
        "01M8GP3ZM0NKF27Q1V8DYJ1Y8T",
        job="sequences",
        status=status,
        trigger="SCHEDULE",
        job_status=f"sequences#{status}",
        job_trigger="sequences#SCHEDULE",
        queued_at=started,
        started_at=started,
        duration_ms=duration_ms,
    )


def test_given_partial_and_failed_runs_when_summarised_then_only_succeeded_counts_as_success():
    runs = [
        _run("SUCCEEDED", NOW),
        _run("PARTIAL", NOW),
        _run("FAILED", NOW),
        _run("SKIPPED", NOW, None),
        _run("RUNNING", NOW, None),
    ]

    stats = window_stats(runs, NOW - timedelta(days=7), complete=True)

    assert stats["runs"] == 3
    assert stats["success_rate"] == round(1 / 3, 3)
    assert stats["by_status"] == {
        "SUCCEEDED": 1,
        "PARTIAL": 1,
        "FAILED": 1,
        "TIMED_OUT": 0,
        "MISSED": 0,
        "SKIPPED": 1,
        "CANCELLED": 0,
    }


def test_given_no_finished_runs_then_no_rate_and_no_durations():
    stats = window_stats([_run("SKIPPED", NOW, None)], NOW - timedelta(days=7), complete=False)

    assert (stats["runs"], stats["success_rate"], stats["p50_duration_ms"], stats["complete"]) == (
        0,
        None,
        None,
        False,
    )


def test_given_a_run_just_before_midnight_in_london_summer_time_then_it_counts_on_the_london_day():
    # 23:30 UTC on 2026-07-01 is 00:30 on 2 July in London (BST).
    now = datetime(2026, 7, 3, 12, 0, tzinfo=UTC)
    trends = daily_trends([_run("FAILED", datetime(2026, 7, 1, 23, 30, tzinfo=UTC))], "Europe/London", now)

    by_day = {day["date"]: day["by_status"]["FAILED"] for day in trends}
    assert by_day["2026-07-02"] == 1
    assert by_day["2026-07-01"] == 0
    assert [day["date"] for day in trends][-1] == "2026-07-03"
    assert len(trends) == 7


def test_given_durations_when_taking_percentiles_then_p50_and_p95_interpolate():
    durations = list(range(1, 101))

    assert (percentile(durations, 0.5), percentile(durations, 0.95)) == (50, 95)
    assert percentile([], 0.5) is None
    assert percentile([7], 0.95) == 7
