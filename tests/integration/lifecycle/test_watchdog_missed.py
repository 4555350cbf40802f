"""The watchdog against moto: every owed tick gets one MISSED row, and each episode one incident record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.catalog import CATALOG, get_job
from functions.clock import isoformat
from functions.data.incidents import IncidentOpening, incident_kind
from functions.data.models import IncidentModel, incident_key
from functions.data.run_types import RunQuery
from functions.data.vocabulary import RunStatus
from functions.ids import tick_run_id
from functions.lifecycle.events import scheduled_payload
from functions.lifecycle.missed import late_run_of, record_missed_ticks
from functions.lifecycle.runner import JobRunner
from functions.lifecycle.watchdog import watch

SEQUENCES = get_job("sequences")  # every 15 minutes, 10 minutes' grace
RETENTION = timedelta(days=90)


class RecordingAlerts:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def publish(self, subject: str, body: dict) -> None:
        self.sent.append((subject, body))

    @property
    def subjects(self) -> list[str]:
        return [subject for subject, _ in self.sent]


def _at(hour: int, minute: int, day: int = 27) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def tracked(run_log, clock):
    clock.set(_at(6, 0))
    for job in CATALOG:
        run_log.ensure_tracking(job.name, clock.now())
    return run_log


def _run(run_log, clock, lambda_context, tick: datetime, work=None) -> dict:
    runner = JobRunner(SEQUENCES, work or (lambda run, cursor: None), run_log=run_log, clock=clock)
    return runner.handle(scheduled_payload("sequences", isoformat(tick), "e"), lambda_context(300))


def _missed(run_log) -> list[str]:
    page = run_log.query_runs(RunQuery(jobs=["sequences"], status=RunStatus.MISSED, limit=100))
    return sorted(run.run_id for run in page.runs)


def _incidents(job: str = "sequences") -> list[IncidentModel]:
    return list(IncidentModel.query(incident_key(job)))


def test_given_two_missed_ticks_when_the_watchdog_passes_twice_then_each_has_one_missed_row(
    tracked, clock, lambda_context
):
    clock.set(_at(6, 0) + timedelta(seconds=5))
    _run(tracked, clock, lambda_context, _at(6, 0))

    clock.set(_at(6, 41))  # 06:15 and 06:30 are past their grace and never ran
    first = watch(CATALOG, tracked, RecordingAlerts(), clock.now())
    clock.advance(timedelta(minutes=5))
    second = watch(CATALOG, tracked, RecordingAlerts(), clock.now())

    assert first["sequences"]["missed"] == ["2026-11-27T06:15:00Z", "2026-11-27T06:30:00Z"]
    assert second["sequences"]["missed"] == []
    assert _missed(tracked) == sorted(tick_run_id("sequences", tick) for tick in (_at(6, 15), _at(6, 30)))
    row = tracked.get_run(tick_run_id("sequences", _at(6, 30)))
    assert (row.status, row.trigger, row.scheduled_for) == ("MISSED", "SCHEDULE", _at(6, 30))
    assert row.error.type == "MissedTick"
    assert "schedule-dlq" in (row.skip_reason or "")
    assert tracked.get_state("sequences").ticks_checked_until == _at(6, 36)


def test_given_a_concurrent_pass_with_the_old_watermark_then_it_writes_no_second_row(tracked, clock):
    clock.set(_at(6, 41))
    stale = tracked.get_state("sequences")
    watch(CATALOG, tracked, RecordingAlerts(), clock.now())

    again = record_missed_ticks(SEQUENCES, stale, tracked, clock.now(), "devsphere-automation", RETENTION)

    assert again == []
    assert len(_missed(tracked)) == 3  # 06:00, 06:15, 06:30
    assert tracked.get_state("sequences").ticks_checked_until == _at(6, 31)


def test_given_a_missed_tick_whose_delivery_arrives_late_then_it_still_runs_and_the_row_names_the_run(
    tracked, clock, lambda_context
):
    clock.set(_at(6, 11))
    watch(CATALOG, tracked, RecordingAlerts(), clock.now())
    missed = tracked.get_run(tick_run_id("sequences", _at(6, 0)))

    clock.set(_at(6, 12))
    result = _run(tracked, clock, lambda_context, _at(6, 0))

    assert result["outcome"] == "SUCCEEDED"
    assert late_run_of(tracked, missed) == result["run_id"]
    assert late_run_of(tracked, tracked.get_run(result["run_id"])) is None


def test_given_ticks_while_paused_then_no_missed_rows_for_them(tracked, clock):
    from functions.data.run_types import Caller

    admin = Caller(sub="u-1", username="admin")
    clock.set(_at(6, 5))
    tracked.set_paused("sequences", True, admin, "maintenance", clock.now())
    clock.set(_at(7, 5))
    tracked.set_paused("sequences", False, admin, None, clock.now())

    clock.set(_at(7, 41))
    watch(CATALOG, tracked, RecordingAlerts(), clock.now())

    scheduled = sorted(tracked.get_run(run_id).scheduled_for for run_id in _missed(tracked))
    assert scheduled == [_at(6, 0), _at(7, 15), _at(7, 30)]


def test_given_a_late_job_then_one_incident_opens_with_its_alert_and_closes_with_the_recovery(
    tracked, clock, lambda_context
):
    alerts = RecordingAlerts()
    clock.set(_at(6, 11))
    watch(CATALOG, tracked, alerts, clock.now())
    clock.advance(timedelta(minutes=2))
    watch(CATALOG, tracked, alerts, clock.now())

    [opened] = _incidents()
    assert (opened.kind, opened.missed_tick, opened.ended_at) == ("LATE", _at(6, 0), None)
    assert opened.run_id == tick_run_id("sequences", _at(6, 0))
    assert "2026-11-27T06:00:00Z" in (opened.summary or "")
    assert [alert.subject for alert in opened.alerts] == ["DevSphere Automation: sequences is LATE"]
    assert tracked.get_state("sequences").alert_incident == opened.sk
    assert alerts.subjects.count("DevSphere Automation: sequences is LATE") == 1

    clock.set(_at(6, 15) + timedelta(seconds=5))
    _run(tracked, clock, lambda_context, _at(6, 15))
    clock.advance(timedelta(minutes=1))
    watch(CATALOG, tracked, alerts, clock.now())
    watch(CATALOG, tracked, alerts, clock.now())

    [closed] = _incidents()
    assert closed.ended_at == clock.now()
    assert closed.end_summary == "recovered: HEALTHY"
    assert [alert.subject for alert in closed.alerts] == [
        "DevSphere Automation: sequences is LATE",
        "DevSphere Automation: sequences recovered (HEALTHY)",
    ]
    assert tracked.get_state("sequences").alert_incident is None
    assert alerts.subjects.count("DevSphere Automation: sequences recovered (HEALTHY)") == 1


def test_given_a_late_job_whose_late_delivery_fails_then_late_closes_and_failing_opens(
    tracked, clock, lambda_context
):
    alerts = RecordingAlerts()
    clock.set(_at(6, 11))
    watch(CATALOG, tracked, alerts, clock.now())

    clock.set(_at(6, 12))
    failed = _run(tracked, clock, lambda_context, _at(6, 0), lambda run, cursor: 1 / 0)
    watch(CATALOG, tracked, alerts, clock.now())

    late, failing = sorted(_incidents(), key=lambda incident: incident.sk)
    assert (late.kind, late.ended_at, late.end_summary) == ("LATE", _at(6, 12), "turned FAILING")
    assert (failing.kind, failing.ended_at, failing.run_id) == ("FAILING", None, failed["run_id"])
    assert "ZeroDivisionError" in (failing.summary or "")
    assert incident_kind(tracked.get_state("sequences").alert_incident) == "FAILING"
    assert alerts.subjects[-1] == "DevSphere Automation: sequences is FAILING"
    assert "DevSphere Automation: sequences recovered (FAILING)" not in alerts.subjects


def test_given_two_passes_racing_to_open_one_incident_then_only_the_first_moves_it(tracked, clock):
    opening = IncidentOpening("LATE", "the 06:00 tick started no run")
    clock.set(_at(6, 11))

    first = tracked.move_incident("sequences", None, opening, clock.now())
    second = tracked.move_incident("sequences", None, opening, clock.now())

    assert (first.moved, second.moved) == (True, False)
    assert len(_incidents()) == 1


def test_given_a_state_from_before_incident_records_then_its_incident_is_closed_and_recovery_sent(
    tracked, clock, lambda_context
):
    from functions.data.models import JobStateModel, job_state_key

    JobStateModel(job_state_key("sequences")).update(actions=[JobStateModel.alert_incident.set("LATE")])
    alerts = RecordingAlerts()
    clock.set(_at(6, 0) + timedelta(seconds=5))
    _run(tracked, clock, lambda_context, _at(6, 0))

    watch(CATALOG, tracked, alerts, clock.now())

    assert tracked.get_state("sequences").alert_incident is None
    assert alerts.subjects == ["DevSphere Automation: sequences recovered (HEALTHY)"]


def test_given_two_passes_racing_to_close_one_incident_at_the_same_instant_then_only_one_closes_it(
    tracked, clock
):
    clock.set(_at(6, 11))
    opened = tracked.move_incident("sequences", None, IncidentOpening("LATE", "missed"), clock.now()).opened
    assert opened is not None
    clock.set(_at(6, 20))

    first = tracked.move_incident("sequences", opened.sk, None, clock.now(), end_summary="recovered")
    second = tracked.move_incident("sequences", opened.sk, None, clock.now(), end_summary="recovered")

    assert (first.moved, second.moved) == (True, False)
    assert first.closed is not None and first.closed.ended_at == _at(6, 20)
