"""Every health in the brief's table, reached from real run records and a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.catalog import CATALOG, get_job
from functions.data.run_types import Caller
from functions.data.vocabulary import Health
from functions.lifecycle.events import scheduled_payload
from functions.lifecycle.runner import JobRunner
from functions.lifecycle.status import collect_status, health_of
from functions.lifecycle.watchdog import watch


class RecordingAlerts:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def publish(self, subject: str, body: dict) -> None:
        self.sent.append(subject)


def _health(run_log, job_name, clock) -> Health:
    return health_of(get_job(job_name), run_log.get_state(job_name), run_log, clock.now())


def _run_reports(run_log, clock, lambda_context, tick: str, work=None) -> dict:
    runner = JobRunner(
        get_job("scheduled-reports"), work or (lambda run, cursor: None), run_log=run_log, clock=clock
    )
    return runner.handle(scheduled_payload("scheduled-reports", tick, "e"), lambda_context(900))


@pytest.fixture
def tracked(run_log, clock):
    """The service starts watching at 2026-11-27 06:00Z, before the 07:00 London tick of that day."""
    clock.set(datetime(2026, 11, 27, 6, 0, tzinfo=UTC))
    for job in CATALOG:
        run_log.ensure_tracking(job.name, clock.now())
    return run_log


def test_given_a_job_that_never_ran_and_no_tick_due_yet_then_it_is_new(tracked, clock):
    clock.set(datetime(2026, 11, 27, 7, 59, tzinfo=UTC))  # 07:00 tick is within its 60-minute grace

    assert _health(tracked, "scheduled-reports", clock) is Health.NEW


def test_given_a_tick_past_its_grace_with_no_run_then_the_job_is_late(tracked, clock):
    clock.set(datetime(2026, 11, 27, 8, 1, tzinfo=UTC))

    assert _health(tracked, "scheduled-reports", clock) is Health.LATE


def test_given_the_tick_ran_successfully_then_healthy_until_the_next_tick_is_missed(
    tracked, clock, lambda_context
):
    clock.set(datetime(2026, 11, 27, 7, 0, 5, tzinfo=UTC))
    _run_reports(tracked, clock, lambda_context, "2026-11-27T07:00:00Z")

    clock.set(datetime(2026, 11, 28, 7, 59, tzinfo=UTC))
    assert _health(tracked, "scheduled-reports", clock) is Health.HEALTHY
    clock.set(datetime(2026, 11, 28, 8, 1, tzinfo=UTC))
    assert _health(tracked, "scheduled-reports", clock) is Health.LATE


def test_given_the_last_run_partial_then_degraded(tracked, clock, lambda_context):
    def work(run, cursor):
        for key in ("ok", "bad"):
            with run.item(key) as item:
                if key == "bad":
                    item.fail("rejected")

    clock.set(datetime(2026, 11, 27, 7, 0, 5, tzinfo=UTC))
    _run_reports(tracked, clock, lambda_context, "2026-11-27T07:00:00Z", work)

    assert _health(tracked, "scheduled-reports", clock) is Health.DEGRADED


def test_given_the_last_run_failed_then_failing(tracked, clock, lambda_context):
    def work(run, cursor):
        raise RuntimeError("S3 unavailable")

    clock.set(datetime(2026, 11, 27, 7, 0, 5, tzinfo=UTC))
    _run_reports(tracked, clock, lambda_context, "2026-11-27T07:00:00Z", work)

    assert _health(tracked, "scheduled-reports", clock) is Health.FAILING


def test_given_a_run_in_flight_within_its_deadline_then_running(tracked, clock, lambda_context):
    seen = {}

    def work(run, cursor):
        seen["health"] = _health(tracked, "scheduled-reports", clock)

    clock.set(datetime(2026, 11, 27, 7, 0, 5, tzinfo=UTC))
    _run_reports(tracked, clock, lambda_context, "2026-11-27T07:00:00Z", work)

    assert seen["health"] is Health.RUNNING


def test_given_a_paused_schedule_then_paused_and_missed_ticks_while_paused_are_not_late(tracked, clock):
    clock.set(datetime(2026, 11, 27, 6, 30, tzinfo=UTC))
    admin = Caller(sub="u-1", username="admin")
    tracked.set_paused("scheduled-reports", True, admin, "supplier outage", clock.now())

    clock.set(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    assert _health(tracked, "scheduled-reports", clock) is Health.PAUSED

    tracked.set_paused("scheduled-reports", False, admin, None, clock.now())
    assert _health(tracked, "scheduled-reports", clock) is Health.NEW
    clock.set(datetime(2026, 11, 28, 8, 1, tzinfo=UTC))
    assert _health(tracked, "scheduled-reports", clock) is Health.LATE


def test_given_the_spring_forward_day_then_late_is_judged_against_the_shifted_tick(
    run_log, clock, lambda_context
):
    # 07:00 Europe/London on 2026-03-29 is 06:00 UTC (BST began at 01:00 UTC).
    clock.set(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    run_log.ensure_tracking("scheduled-reports", clock.now())

    clock.set(datetime(2026, 3, 29, 6, 59, tzinfo=UTC))
    assert _health(run_log, "scheduled-reports", clock) is Health.NEW
    clock.set(datetime(2026, 3, 29, 7, 1, tzinfo=UTC))
    assert _health(run_log, "scheduled-reports", clock) is Health.LATE

    _run_reports(run_log, clock, lambda_context, "2026-03-29T06:00:00Z")
    assert _health(run_log, "scheduled-reports", clock) is Health.HEALTHY


def test_given_the_fall_back_day_then_the_tick_is_an_hour_later_in_utc(run_log, clock, lambda_context):
    # 07:00 Europe/London on 2026-10-25 is 07:00 UTC (GMT again from 01:00 UTC).
    clock.set(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    run_log.ensure_tracking("scheduled-reports", clock.now())
    _run_reports(run_log, clock, lambda_context, "2026-10-24T06:00:00Z")

    clock.set(datetime(2026, 10, 25, 7, 59, tzinfo=UTC))
    assert _health(run_log, "scheduled-reports", clock) is Health.HEALTHY
    clock.set(datetime(2026, 10, 25, 8, 1, tzinfo=UTC))
    assert _health(run_log, "scheduled-reports", clock) is Health.LATE


def test_given_a_job_stays_late_when_the_watchdog_passes_repeatedly_then_one_alert_per_incident(
    tracked, clock, lambda_context
):
    alerts = RecordingAlerts()
    # At 08:01 the renewal reminders tick (08:00) is still within its grace.
    late_jobs = {"sequences", "follow-ups", "scheduled-reports"}

    clock.set(datetime(2026, 11, 27, 8, 1, tzinfo=UTC))
    for _ in range(3):
        watch(CATALOG, tracked, alerts, clock.now())
        clock.advance(timedelta(minutes=5))

    assert sorted(alerts.sent) == sorted(f"DevSphere Automation: {name} is LATE" for name in late_jobs)

    # The reports job recovers (announced once), then fails: that is a new incident and pages again.
    _run_reports(tracked, clock, lambda_context, "2026-11-27T07:00:00Z")
    watch(CATALOG, tracked, alerts, clock.now())
    watch(CATALOG, tracked, alerts, clock.now())
    assert tracked.get_state("scheduled-reports").alert_incident is None
    assert alerts.sent.count("DevSphere Automation: scheduled-reports recovered (HEALTHY)") == 1
    clock.set(datetime(2026, 11, 28, 7, 0, 5, tzinfo=UTC))
    _run_reports(tracked, clock, lambda_context, "2026-11-28T07:00:00Z", lambda run, cursor: 1 / 0)
    watch(CATALOG, tracked, alerts, clock.now())
    watch(CATALOG, tracked, alerts, clock.now())

    assert alerts.sent.count("DevSphere Automation: scheduled-reports is FAILING") == 1


def test_given_a_fresh_deployment_when_the_watchdog_first_passes_then_earlier_ticks_are_not_late(
    run_log, clock
):
    clock.set(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))

    report = watch(CATALOG, run_log, RecordingAlerts(), clock.now())

    assert {name: entry["health"] for name, entry in report.items()} == {job.name: "NEW" for job in CATALOG}
    assert run_log.get_state("sequences").tracking_since == clock.now()
    clock.advance(timedelta(minutes=26))
    assert watch(CATALOG, run_log, RecordingAlerts(), clock.now())["sequences"]["health"] == "LATE"
    assert run_log.get_state("sequences").tracking_since == datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _run_sequences(run_log, clock, lambda_context, tick: str) -> dict:
    runner = JobRunner(get_job("sequences"), lambda run, cursor: None, run_log=run_log, clock=clock)
    return runner.handle(scheduled_payload("sequences", tick, "e"), lambda_context(900))


def test_given_a_missed_tick_when_a_later_tick_has_run_then_late_clears_at_once(
    tracked, clock, lambda_context
):
    # sequences: every 15 minutes, 10 minutes' grace. The 06:15 tick never ran.
    clock.set(datetime(2026, 11, 27, 6, 29, tzinfo=UTC))
    assert _health(tracked, "sequences", clock) is Health.LATE

    clock.set(datetime(2026, 11, 27, 6, 30, 5, tzinfo=UTC))
    _run_sequences(tracked, clock, lambda_context, "2026-11-27T06:30:00Z")

    # Still within the 06:30 tick's grace, so 06:15 is the owed tick: the later run clears it anyway.
    clock.set(datetime(2026, 11, 27, 6, 31, tzinfo=UTC))
    assert _health(tracked, "sequences", clock) is Health.HEALTHY


def test_given_a_late_job_when_reading_its_status_then_the_missed_tick_and_the_checks_are_named(
    tracked, clock
):
    clock.set(datetime(2026, 11, 27, 8, 1, tzinfo=UTC))

    status = collect_status([get_job("scheduled-reports")], tracked, clock.now())[0]

    assert status["health"] == "LATE"
    assert status["late"]["missed_tick"] == "2026-11-27T07:00:00Z"
    assert status["late"]["grace_minutes"] == 60
    checks = " ".join(status["late"]["checks"])
    assert "paused" in checks
    assert "devsphere-automation-scheduled-reports-schedule-dlq" in checks
    assert "Throttles" in checks


def test_given_a_healthy_job_when_reading_its_status_then_nothing_is_late(tracked, clock, lambda_context):
    clock.set(datetime(2026, 11, 27, 7, 0, 5, tzinfo=UTC))
    _run_reports(tracked, clock, lambda_context, "2026-11-27T07:00:00Z")

    status = collect_status([get_job("scheduled-reports")], tracked, clock.now())[0]

    assert (status["health"], status["late"]) == ("HEALTHY", None)
