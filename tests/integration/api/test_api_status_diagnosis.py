"""Status that never flatters, trends over days, and search of the history, from real runner records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.clock import isoformat

START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
def degraded(run_ticks):
    """sequences: crash, ok, partial (its last run). Run ids oldest first."""
    ticks = [START + timedelta(minutes=15 * n) for n in range(3)]
    return run_ticks("sequences", ticks, {isoformat(ticks[0]): "crash", isoformat(ticks[2]): "partial"})


def test_given_a_partial_last_run_when_listing_jobs_then_it_is_the_last_problem_not_a_success(api, degraded):
    reply = api("GET", "/jobs")

    sequences = next(job for job in reply.body["jobs"] if job["job"] == "sequences")
    assert sequences["health"] == "DEGRADED"
    assert sequences["last_success"]["run_id"] == degraded[1]
    problem = sequences["last_problem"]
    assert (problem["run_id"], problem["status"]) == (degraded[2], "PARTIAL")
    assert problem["message"] == "1 item failed: 1 for contact has no email address"
    assert problem["failed_items"] == 1
    assert problem["failures_by_reason"] == [
        {"reason": "contact has no email address", "count": 1, "keys": ["item-1"]}
    ]
    assert degraded[2] in problem["logs_link"]
    assert sequences["stats"]["success_rate"] == round(1 / 3, 3)


def test_given_a_degraded_job_when_reading_it_then_the_last_problem_run_is_there_in_full(api, degraded):
    reply = api("GET", "/jobs/sequences")

    assert reply.status == 200
    run = reply.body["last_problem_run"]
    assert run["run_id"] == degraded[2]
    assert run["item_errors"] == [{"key": "item-1", "reason": "contact has no email address"}]
    # The older crash is still the last failure; the dialog shows the newer problem first.
    assert reply.body["last_failure_run"]["run_id"] == degraded[0]


def test_given_a_failed_run_when_listing_jobs_then_its_message_and_where_are_on_the_job(api, run_ticks):
    run_ticks("follow-ups", [START], {isoformat(START): "crash"})

    reply = api("GET", "/jobs")

    follow_ups = next(job for job in reply.body["jobs"] if job["job"] == "follow-ups")
    problem = follow_ups["last_problem"]
    assert problem["status"] == "FAILED"
    assert problem["error_type"] == "ConnectionError"
    assert "platform database refused the connection" in problem["message"]
    assert "conftest.py" in problem["where"]


def test_given_runs_over_days_when_reading_a_job_then_trends_count_outcomes_and_durations_per_day(
    api, run_ticks, clock
):
    days_ago_3 = START - timedelta(days=3)
    run_ticks("follow-ups", [days_ago_3, days_ago_3 + timedelta(hours=1)], {isoformat(days_ago_3): "crash"})
    run_ticks("follow-ups", [START], {}, duration=timedelta(seconds=90))

    reply = api("GET", "/jobs/follow-ups")

    trends = reply.body["trends"]
    assert [day["date"] for day in trends] == [f"2026-11-{day}" for day in range(22, 29)]
    by_day = {day["date"]: day for day in trends}
    assert by_day["2026-11-25"]["by_status"]["FAILED"] == 1
    assert by_day["2026-11-25"]["by_status"]["SUCCEEDED"] == 1
    assert by_day["2026-11-28"]["by_status"]["SUCCEEDED"] == 1
    assert by_day["2026-11-28"]["p50_duration_ms"] == 90000
    assert sum(sum(day["by_status"].values()) for day in trends) == 3
    assert by_day["2026-11-24"]["p95_duration_ms"] is None


def test_given_runs_older_than_the_window_then_stats_leave_them_out(api, run_ticks, clock):
    run_ticks("follow-ups", [START - timedelta(days=8)], {isoformat(START - timedelta(days=8)): "crash"})
    run_ticks("follow-ups", [START])

    reply = api("GET", "/jobs/follow-ups")

    assert reply.body["stats"]["runs"] == 1
    assert reply.body["stats"]["success_rate"] == 1.0
    # The old failure is outside the window but is still the last problem.
    assert reply.body["last_problem"]["status"] == "FAILED"


def test_given_a_partial_run_when_listing_runs_then_its_error_summary_is_not_empty(api, degraded):
    reply = api("GET", "/runs", query={"job": "sequences"})

    summaries = {run["run_id"]: run["error_summary"] for run in reply.body["runs"]}
    assert summaries[degraded[2]] == "1 item failed: 1 for contact has no email address"
    assert summaries[degraded[1]] is None
    assert summaries[degraded[0]].startswith("ConnectionError: platform database")


def test_given_a_run_id_when_searching_then_that_run_is_read_directly(api, degraded):
    reply = api("GET", "/runs", query={"q": degraded[1].lower()})

    assert reply.status == 200
    assert [run["run_id"] for run in reply.body["runs"]] == [degraded[1]]
    assert reply.body["search"]["kind"] == "run_id"


def test_given_an_item_key_when_searching_then_the_runs_that_failed_it_are_found(api, degraded, run_ticks):
    run_ticks("follow-ups", [START])

    reply = api("GET", "/runs", query={"q": "ITEM-1"})

    assert [run["run_id"] for run in reply.body["runs"]] == [degraded[2]]
    assert reply.body["search"]["kind"] == "item"
    assert reply.body["search"]["runs_read"] == 4


def test_given_a_search_limit_when_paging_then_the_cursor_continues_the_search(api, run_ticks):
    ticks = [START + timedelta(minutes=15 * n) for n in range(4)]
    ids = run_ticks("sequences", ticks, {isoformat(t): "partial" for t in ticks})

    first = api("GET", "/runs", query={"q": "no email", "limit": "3"})
    second = api("GET", "/runs", query={"q": "no email", "limit": "3", "cursor": first.body["next_cursor"]})

    assert [run["run_id"] for run in first.body["runs"] + second.body["runs"]] == ids[::-1]
    assert second.body["next_cursor"] is None


def test_given_a_search_with_nothing_matching_then_an_empty_page(api, degraded):
    reply = api("GET", "/runs", query={"q": "nobody@example.com"})

    assert (reply.status, reply.body["runs"], reply.body["next_cursor"]) == (200, [], None)


def test_given_a_missed_tick_when_listing_jobs_then_the_late_job_names_it_and_the_others_do_not(
    api, run_log, clock
):
    clock.set(datetime(2026, 11, 27, 6, 0, tzinfo=UTC))
    run_log.ensure_tracking("scheduled-reports", clock.now())
    clock.set(datetime(2026, 11, 27, 8, 1, tzinfo=UTC))

    reply = api("GET", "/jobs")

    jobs = {job["job"]: job for job in reply.body["jobs"]}
    late = jobs["scheduled-reports"]
    assert late["health"] == "LATE"
    assert late["late"]["missed_tick"] == "2026-11-27T07:00:00Z"
    assert any("dead-letter queue" in check for check in late["late"]["checks"])
    assert jobs["follow-ups"]["late"] is None
