"""The API shows MISSED ticks in the history and the incidents the watchdog recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.catalog import CATALOG
from functions.ids import tick_run_id
from functions.lifecycle.watchdog import watch


class Alerts:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def publish(self, subject: str, body: dict) -> None:
        self.sent.append(subject)


def _at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 27, hour, minute, tzinfo=UTC)


@pytest.fixture
def late_sequences(run_log, clock, run_ticks):
    """sequences ran at 06:00, then missed 06:15 and 06:30; the watchdog passed at 06:41 (and began tracking
    the other jobs then)."""
    clock.set(_at(5, 59))
    run_log.ensure_tracking("sequences", clock.now())
    run_ticks("sequences", [_at(6, 0)])
    clock.set(_at(6, 41))
    watch(CATALOG, run_log, Alerts(), clock.now())
    return run_log


def test_given_missed_ticks_when_listing_runs_by_status_missed_then_each_tick_is_a_row(api, late_sequences):
    reply = api("GET", "/runs", query={"status": "MISSED", "job": "sequences"})

    assert reply.status == 200
    assert [run["scheduled_for"] for run in reply.body["runs"]] == [
        "2026-11-27T06:30:00Z",
        "2026-11-27T06:15:00Z",
    ]
    assert {run["error_type"] for run in reply.body["runs"]} == {"MissedTick"}


def test_given_a_missed_tick_then_the_history_sorts_it_at_the_tick(api, late_sequences):
    reply = api("GET", "/runs", query={"job": "sequences"})

    assert [run["status"] for run in reply.body["runs"]] == ["MISSED", "MISSED", "SUCCEEDED"]


def test_given_a_late_job_then_its_status_counts_the_missed_ticks_and_names_its_open_incident(
    api, late_sequences
):
    reply = api("GET", "/jobs/sequences")

    body = reply.body
    assert reply.status == 200
    assert body["health"] == "LATE"
    assert body["stats"]["by_status"]["MISSED"] == 2
    assert body["stats"]["success_rate"] == round(1 / 3, 3)
    assert body["last_problem"]["status"] == "MISSED"
    assert body["last_run"]["status"] == "SUCCEEDED"
    assert [run["status"] for run in body["recent_runs"]] == ["MISSED", "MISSED", "SUCCEEDED"]
    incident = body["incident"]
    assert (incident["kind"], incident["open"]) == ("LATE", True)
    assert incident["missed_tick"] == "2026-11-27T06:30:00Z"
    assert incident["alerts"] == [
        {"at": "2026-11-27T06:41:00Z", "subject": "DevSphere Automation: sequences is LATE", "error": None}
    ]
    listed = {job["job"]: job["incident"] for job in api("GET", "/jobs").body["jobs"]}
    assert listed["sequences"]["incident_id"] == incident["incident_id"]
    assert listed["follow-ups"] is None


def test_given_a_missed_tick_that_ran_late_then_its_detail_names_the_run(api, late_sequences, run_ticks):
    [late] = run_ticks("sequences", [_at(6, 30)])

    missed = api("GET", f"/runs/{tick_run_id('sequences', _at(6, 30))}").body
    other = api("GET", f"/runs/{tick_run_id('sequences', _at(6, 15))}").body

    assert (missed["status"], missed["ran_late_as"]) == ("MISSED", late)
    assert other["ran_late_as"] is None
    assert "What to check" in other["skip_reason"]


def test_given_incidents_of_several_jobs_then_listed_newest_first_filtered_and_paged(
    api, late_sequences, clock
):
    clock.set(_at(7, 21))  # follow-ups' 07:00 tick is now past its 20 minutes' grace
    watch(CATALOG, late_sequences, Alerts(), clock.now())

    everything = api("GET", "/incidents").body["incidents"]
    first = api("GET", "/incidents", query={"limit": "1"}).body
    second = api("GET", "/incidents", query={"limit": "1", "cursor": first["next_cursor"]}).body
    only = api("GET", "/incidents", query={"job": "follow-ups", "open": "true"}).body["incidents"]

    assert [(i["job"], i["kind"], i["open"]) for i in everything] == [
        ("follow-ups", "LATE", True),
        ("sequences", "LATE", True),
    ]
    assert [i["incident_id"] for i in first["incidents"] + second["incidents"]] == [
        i["incident_id"] for i in everything
    ]
    assert second["next_cursor"] is None
    assert [i["job"] for i in only] == ["follow-ups"]


def test_given_a_closed_incident_then_open_true_leaves_it_out_and_the_listing_shows_its_end(
    api, late_sequences, run_ticks, clock
):
    run_ticks("sequences", [_at(6, 45)])
    clock.set(_at(6, 47))
    watch(CATALOG, late_sequences, Alerts(), clock.now())

    [closed] = api("GET", "/incidents", query={"job": "sequences"}).body["incidents"]
    open_only = api("GET", "/incidents", query={"open": "true", "job": "sequences"}).body["incidents"]

    assert (closed["open"], closed["end_summary"]) == (False, "recovered: HEALTHY")
    assert closed["duration_ms"] == 6 * 60 * 1000
    assert closed["alerts"][-1]["subject"] == "DevSphere Automation: sequences recovered (HEALTHY)"
    assert open_only == []
    assert api("GET", "/jobs/sequences").body["incident"] is None


@pytest.mark.parametrize("cursor", ["not-base64!", "bm90IGEga2V5"])
def test_given_a_malformed_cursor_then_400_invalid_cursor(api, late_sequences, cursor):
    reply = api("GET", "/incidents", query={"cursor": cursor})

    assert reply.status == 400
    assert reply.body["error"]["code"] == "INVALID_CURSOR"
