"""Status and logs as the portal reads them, from run records the real runner wrote."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from functions.api.cursor import encode_cursor
from functions.clock import isoformat
from functions.lifecycle.views import run_detail
from tests.unit.api.api_events import assert_error_shape

START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SEQUENCE_TICKS = [START + timedelta(minutes=15 * n) for n in range(8)]
SEQUENCE_PLAN = {
    isoformat(SEQUENCE_TICKS[2]): "partial",
    isoformat(SEQUENCE_TICKS[3]): "crash",
    isoformat(SEQUENCE_TICKS[5]): "crash",
}
FOLLOW_UP_TICKS = [START, START + timedelta(hours=1)]


@pytest.fixture
def history(run_ticks):
    """sequences: ok ok partial crash ok crash ok ok; follow-ups: crash crash. Run ids oldest first."""
    follow_ups = run_ticks("follow-ups", FOLLOW_UP_TICKS, {isoformat(t): "crash" for t in FOLLOW_UP_TICKS})
    sequences = run_ticks("sequences", SEQUENCE_TICKS, SEQUENCE_PLAN)
    return {"sequences": sequences, "follow-ups": follow_ups}


def _decoded(cursor: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def _encoded(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_given_runner_history_when_listing_jobs_then_each_status_summarises_its_runs(api, history, clock):
    reply = api("GET", "/jobs")

    assert reply.status == 200
    assert reply.body["generated_at"] == isoformat(clock.now())
    jobs = {status["job"]: status for status in reply.body["jobs"]}
    assert list(jobs) == ["sequences", "follow-ups", "scheduled-reports", "renewal-reminders"]
    sequences = jobs["sequences"]
    assert sequences["health"] == "HEALTHY"
    assert sequences["last_run"]["run_id"] == history["sequences"][-1]
    assert sequences["last_run"]["status"] == "SUCCEEDED"
    assert sequences["last_run"]["counts"] == {
        "processed": 2,
        "succeeded": 2,
        "failed": 0,
        "skipped": 0,
        "emails_sent": 2,
    }
    assert sequences["last_success"]["run_id"] == history["sequences"][-1]
    assert sequences["last_failure"]["run_id"] == history["sequences"][5]
    assert sequences["consecutive_failures"] == 0
    stats = sequences["stats"]
    assert (stats["runs"], stats["p50_duration_ms"], stats["p95_duration_ms"]) == (8, 30000, 30000)
    # The PARTIAL run is a problem, not a success: 5 of 8 succeeded.
    assert stats["by_status"]["PARTIAL"] == 1
    assert stats["success_rate"] == 0.625
    assert (stats["window_days"], stats["complete"]) == (7, True)
    assert [run["run_id"] for run in sequences["recent_runs"]] == history["sequences"][::-1]
    assert sequences["schedule"]["expression"] == "cron(0/15 * * * ? *)"
    assert sequences["schedule"]["timezone"] == "Europe/London"
    assert sequences["paused"] is None
    follow_ups = jobs["follow-ups"]
    assert follow_ups["health"] == "FAILING"
    assert follow_ups["consecutive_failures"] == 2
    assert follow_ups["last_success"] is None
    assert follow_ups["stats"]["success_rate"] == 0.0
    assert jobs["scheduled-reports"]["health"] == "NEW"
    assert jobs["scheduled-reports"]["last_run"] is None


def test_given_a_job_that_failed_when_reading_it_then_the_last_failure_is_shown_in_full(api, history):
    reply = api("GET", "/jobs/sequences")

    assert reply.status == 200
    failure = reply.body["last_failure_run"]
    assert failure["run_id"] == history["sequences"][5]
    assert failure["status"] == "FAILED"
    assert failure["error"]["type"] == "ConnectionError"
    assert failure["error"]["message"] == "platform database refused the connection"
    assert "ConnectionError" in failure["error"]["stack"]
    assert failure["error"]["where"]
    assert len(reply.body["recent_runs"]) == 8


def test_given_a_job_that_never_failed_when_reading_it_then_there_is_no_failure_to_show(api, run_ticks):
    run_ticks("scheduled-reports", [START.replace(hour=7)])

    reply = api("GET", "/jobs/scheduled-reports")

    assert reply.status == 200
    assert reply.body["health"] == "HEALTHY"
    assert reply.body["last_failure_run"] is None


def test_given_an_unknown_job_when_reading_it_then_404_job_not_found(api):
    reply = api("GET", "/jobs/newsletters")

    assert reply.status == 404
    assert reply.error_code == "JOB_NOT_FOUND"
    assert_error_shape(reply)


def test_given_filters_when_paging_the_run_log_then_three_pages_cover_the_matches_newest_first(api, history):
    succeeded = [run_id for n, run_id in enumerate(history["sequences"]) if n not in (2, 3, 5)]
    query = {"job": "sequences", "status": "SUCCEEDED", "limit": "2"}

    pages = []
    cursor = None
    for _ in range(3):
        reply = api("GET", "/runs", query={**query, **({"cursor": cursor} if cursor else {})})
        assert reply.status == 200
        pages.append([run["run_id"] for run in reply.body["runs"]])
        assert {run["status"] for run in reply.body["runs"]} == {"SUCCEEDED"}
        cursor = reply.body["next_cursor"]

    assert [len(page) for page in pages] == [2, 2, 1]
    assert [run_id for page in pages for run_id in page] == succeeded[::-1]
    assert cursor is None


def test_given_a_time_window_and_trigger_when_paging_across_jobs_then_runs_merge_newest_first(api, history):
    window = {
        "trigger": "SCHEDULE",
        "from": "2026-11-28T09:30:00Z",
        "to": "2026-11-28T10:05:00Z",
        "limit": "3",
    }
    expected = sorted([*history["sequences"][2:5], history["follow-ups"][1]], reverse=True)

    first = api("GET", "/runs", query=window)
    second = api("GET", "/runs", query={**window, "cursor": first.body["next_cursor"]})

    assert [run["run_id"] for run in first.body["runs"] + second.body["runs"]] == expected
    assert {run["job"] for run in first.body["runs"] + second.body["runs"]} == {"sequences", "follow-ups"}
    assert second.body["next_cursor"] is None


def test_given_a_cursor_when_the_filters_change_then_400_invalid_cursor(api, history):
    first = api("GET", "/runs", query={"job": "sequences", "limit": "2"})

    reply = api(
        "GET", "/runs", query={"job": "follow-ups", "limit": "2", "cursor": first.body["next_cursor"]}
    )

    assert reply.status == 400
    assert reply.error_code == "INVALID_CURSOR"
    assert_error_shape(reply)


def test_given_a_cursor_when_its_run_id_is_edited_then_400_invalid_cursor(api, history):
    first = api("GET", "/runs", query={"job": "sequences", "limit": "2"})
    payload = _decoded(first.body["next_cursor"])
    payload["after"] = history["sequences"][-1]

    reply = api("GET", "/runs", query={"job": "sequences", "limit": "2", "cursor": _encoded(payload)})

    assert reply.status == 400
    assert reply.error_code == "INVALID_CURSOR"


@pytest.mark.parametrize("cursor", ["not-a-cursor", "%%%", _encoded({"v": 1}), _encoded([1, 2]), "e30"])
def test_given_a_malformed_cursor_when_listing_runs_then_400_invalid_cursor(api, history, cursor):
    reply = api("GET", "/runs", query={"cursor": cursor})

    assert reply.status == 400
    assert reply.error_code == "INVALID_CURSOR"
    assert_error_shape(reply)


def test_given_a_cursor_for_the_same_filters_when_used_then_the_page_continues_after_its_run(api, history):
    filters = {"job": "sequences", "status": None, "trigger": None, "from": None, "to": None}
    cursor = encode_cursor(history["sequences"][4], filters)

    reply = api("GET", "/runs", query={"job": "sequences", "cursor": cursor})

    assert [run["run_id"] for run in reply.body["runs"]] == history["sequences"][3::-1]


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "101"},
        {"limit": "0"},
        {"limit": "many"},
        {"status": "DONE"},
        {"trigger": "CONTINUATION"},
        {"job": "newsletters"},
        {"from": "yesterday"},
        {"from": "2026-11-28T09:00:00"},
        {"to": "2026-13-01T00:00:00Z"},
        {"from": "2026-11-28T10:00:00Z", "to": "2026-11-28T09:00:00Z"},
    ],
)
def test_given_bad_filters_when_listing_runs_then_422_validation_error(api, query):
    reply = api("GET", "/runs", query=query)

    assert reply.status == 422
    assert reply.error_code == "VALIDATION_ERROR"
    assert_error_shape(reply)


def test_given_unknown_query_parameters_when_listing_runs_then_they_are_ignored(api, history):
    reply = api("GET", "/runs", query={"sort": "oldest", "job": "follow-ups"})

    assert reply.status == 200
    assert [run["run_id"] for run in reply.body["runs"]] == history["follow-ups"][::-1]


def test_given_a_run_when_reading_it_then_everything_its_record_holds_is_returned(api, history, run_log):
    partial_id = history["sequences"][2]

    reply = api("GET", f"/runs/{partial_id}")

    assert reply.status == 200
    assert reply.body == run_detail(run_log.get_run(partial_id))
    assert reply.body["status"] == "PARTIAL"
    assert reply.body["item_errors"] == [{"key": "item-1", "reason": "contact has no email address"}]
    assert reply.body["logs"]["log_group"] == "/aws/lambda/devsphere-automation-sequences"
    assert partial_id in reply.body["logs"]["link"]
    assert reply.body["scheduled_for"] == isoformat(SEQUENCE_TICKS[2])


@pytest.mark.parametrize("run_id", ["01M8HGFFZ7PQWDHKJ3T50J04YN", "not-a-run", "x" * 3000])
def test_given_an_unknown_run_id_when_reading_it_then_404_run_not_found(api, run_id):
    reply = api("GET", f"/runs/{run_id}")

    assert reply.status == 404
    assert reply.error_code == "RUN_NOT_FOUND"
    assert_error_shape(reply)
