"""The health table of the brief as a pure function of a job's state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.catalog import get_job
from functions.clock import ManualClock
from functions.data.models import JobStateModel
from functions.data.vocabulary import Health
from functions.lifecycle.context import RunContext
from functions.lifecycle.health import compute_health, due_tick, incident_of

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _state(**fields) -> JobStateModel:
    return JobStateModel("JOB#sequences", job="sequences", **fields)


@pytest.mark.parametrize(
    ("fields", "tick_has_run", "expected"),
    [
        ({"paused": True, "last_run_status": "FAILED"}, False, Health.PAUSED),
        ({"lock_run_id": "r", "lock_expires_at": NOW + timedelta(minutes=1)}, False, Health.RUNNING),
        ({"lock_run_id": "r", "lock_expires_at": NOW - timedelta(minutes=1)}, False, Health.LATE),
        ({"last_run_status": "SUCCEEDED"}, False, Health.LATE),
        ({"last_run_status": "TIMED_OUT"}, True, Health.FAILING),
        ({"last_run_status": "FAILED"}, True, Health.FAILING),
        ({"last_run_status": "PARTIAL"}, True, Health.DEGRADED),
        ({"last_run_status": "SUCCEEDED"}, True, Health.HEALTHY),
        ({}, True, Health.NEW),
    ],
)
def test_given_a_state_when_judged_then_the_brief_table_holds(fields, tick_has_run, expected):
    assert compute_health(_state(**fields), NOW, NOW - timedelta(minutes=15), tick_has_run) is expected


def test_given_no_due_tick_and_no_runs_then_new():
    assert compute_health(_state(), NOW, None, False) is Health.NEW


def test_given_tracking_began_after_the_tick_then_no_tick_is_owed():
    job = get_job("sequences")

    assert due_tick(job, _state(tracking_since=NOW - timedelta(minutes=5)), NOW) is None
    assert due_tick(job, _state(tracking_since=NOW - timedelta(hours=1)), NOW) == datetime(
        2026, 11, 28, 8, 45, tzinfo=UTC
    )
    assert due_tick(job, _state(), NOW) is None


def test_given_a_timed_out_last_run_when_failing_then_the_incident_is_named_timed_out():
    assert incident_of(Health.FAILING, _state(last_run_status="TIMED_OUT")) == "TIMED_OUT"
    assert incident_of(Health.FAILING, _state(last_run_status="FAILED")) == "FAILING"
    assert incident_of(Health.LATE, _state()) == "LATE"
    assert incident_of(Health.DEGRADED, _state()) is None


def test_given_items_with_mixed_outcomes_when_counted_then_status_follows_the_counts():
    run = RunContext("r", get_job("sequences"), ManualClock(NOW), None)

    with run.item("a") as item:
        item.count("emails_sent")
    with run.item("b") as item:
        item.skip("contact unsubscribed")
    with run.item("c"):
        raise RuntimeError("boom")

    outcome = run.outcome()
    assert outcome.status.value == "PARTIAL"
    assert outcome.counts == {"processed": 3, "succeeded": 1, "failed": 1, "skipped": 1, "emails_sent": 1}
    assert outcome.item_errors == [{"key": "c", "reason": "RuntimeError: boom"}]
