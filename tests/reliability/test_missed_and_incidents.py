"""MISSED rows and incident records under DynamoDB faults: none lost, none doubled, no alert sent twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from functions.catalog import CATALOG
from functions.data.models import IncidentModel, incident_key
from functions.data.run_types import RunQuery
from functions.data.vocabulary import RunStatus
from functions.lifecycle.alerts import SnsAlerts
from functions.lifecycle.watchdog import WatchdogIncompleteError, watch
from tests.reliability.world import scheduler_event

START = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
LATE_PASS = datetime(2026, 11, 28, 6, 41, tzinfo=UTC)  # sequences' 06:00, 06:15, 06:30 ticks are owed


class CountingAlerts:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def publish(self, subject: str, body: dict) -> None:
        self.sent.append(subject)


def _missed_write(params: dict) -> bool:
    return params.get("Item", {}).get("status", {}).get("S") == "MISSED"


def _incident_write(params: dict) -> bool:
    return "INCIDENT#sequences" in str(params.get("TransactItems", ""))


@pytest.fixture
def tracked(world):
    world.clock.set(START - timedelta(minutes=1))
    world.run_log.ensure_tracking("sequences", world.clock.now())
    world.clock.set(LATE_PASS)
    return world


def _missed_rows(world) -> list[datetime]:
    page = world.run_log.query_runs(RunQuery(jobs=["sequences"], status=RunStatus.MISSED, limit=100))
    return sorted(run.scheduled_for for run in page.runs)


def _pass(world, alerts: CountingAlerts | None = None) -> dict:
    return watch(CATALOG, world.run_log, alerts or CountingAlerts(), LATE_PASS)


def test_given_missed_row_writes_throttled_for_a_while_then_each_row_is_written_once(tracked, report):
    tracked.faults.throttle_dynamodb("PutItem", times=5, when=_missed_write)

    _pass(tracked)
    _pass(tracked)

    assert _missed_rows(tracked) == [START, START + timedelta(minutes=15), START + timedelta(minutes=30)]
    assert tracked.faults.total == 5
    report()


def test_given_a_lost_answer_on_a_missed_row_write_then_the_retry_finds_it_and_writes_no_second(
    tracked, report
):
    tracked.faults.lose_answer("dynamodb", "PutItem", times=3, when=_missed_write)

    _pass(tracked)

    assert _missed_rows(tracked) == [START, START + timedelta(minutes=15), START + timedelta(minutes=30)]
    assert tracked.faults.total == 3
    report()


def test_given_missed_row_writes_that_stay_throttled_then_the_pass_fails_and_the_next_writes_them(
    tracked, report
):
    tracked.faults.throttle_dynamodb("PutItem", times=500, when=_missed_write)

    with pytest.raises(WatchdogIncompleteError):
        _pass(tracked)
    assert _missed_rows(tracked) == []
    assert tracked.run_log.get_state("sequences").ticks_checked_until is None
    tracked.faults.rules.clear()
    _pass(tracked)

    assert _missed_rows(tracked) == [START, START + timedelta(minutes=15), START + timedelta(minutes=30)]
    report()


def test_given_a_lost_answer_on_the_incident_write_then_the_alert_is_sent_once_and_recorded_once(
    tracked, report
):
    alerts = CountingAlerts()
    tracked.faults.lose_answer("dynamodb", "TransactWriteItems", when=_incident_write)

    _pass(tracked, alerts)
    _pass(tracked, alerts)

    assert alerts.sent.count("DevSphere Automation: sequences is LATE") == 1
    [incident] = IncidentModel.query(incident_key("sequences"))
    assert incident.kind == "LATE" and [alert.subject for alert in incident.alerts] == [
        "DevSphere Automation: sequences is LATE"
    ]
    assert tracked.run_log.get_state("sequences").alert_incident == incident.sk
    assert tracked.faults.total == 1
    report()


def test_given_a_lost_answer_on_the_alert_note_then_the_alert_is_noted_once(tracked, report):
    alerts = CountingAlerts()
    tracked.faults.lose_answer(
        "dynamodb", "UpdateItem", when=lambda params: "INCIDENT#sequences" in str(params.get("Key", ""))
    )

    _pass(tracked, alerts)

    [incident] = IncidentModel.query(incident_key("sequences"))
    assert len(incident.alerts) == 1 and alerts.sent == ["DevSphere Automation: sequences is LATE"]
    assert tracked.faults.total == 1
    report()


def test_given_a_lost_answer_on_the_incident_close_then_the_recovery_notice_is_sent_once(tracked, report):
    alerts = CountingAlerts()
    _pass(tracked, alerts)
    tracked.clock.set(datetime(2026, 11, 28, 6, 45, 5, tzinfo=UTC))
    ran = tracked.invoke(scheduler_event("sequences", "2026-11-28T06:45:00Z"))
    assert ran.result["outcome"] == "SUCCEEDED"
    tracked.faults.lose_answer("dynamodb", "TransactWriteItems", when=_incident_write)

    recovered_at = datetime(2026, 11, 28, 6, 46, tzinfo=UTC)
    watch(CATALOG, tracked.run_log, alerts, recovered_at)
    watch(CATALOG, tracked.run_log, alerts, recovered_at + timedelta(minutes=5))

    assert alerts.sent.count("DevSphere Automation: sequences recovered (HEALTHY)") == 1
    [incident] = IncidentModel.query(incident_key("sequences"))
    assert incident.ended_at == recovered_at
    assert incident.alerts[-1].subject == "DevSphere Automation: sequences recovered (HEALTHY)"
    assert tracked.run_log.get_state("sequences").alert_incident is None
    assert tracked.faults.total == 1
    report()


def test_given_the_alert_topic_refusing_then_the_incident_records_the_alert_as_not_sent(tracked, report):
    # Given a real (emulated) topic that refuses the publish at the SDK level
    topic = boto3.client("sns").create_topic(Name="automation-alerts")["TopicArn"]
    tracked.faults.error("sns", "Publish", "AuthorizationError", status=403)

    # When the watchdog opens the LATE incident
    _pass(tracked, SnsAlerts(topic))

    # Then the incident shows the alert with why it did not go out, not as sent
    [incident] = IncidentModel.query(incident_key("sequences"))
    [alert] = incident.alerts
    assert alert.subject == "DevSphere Automation: sequences is LATE"
    assert alert.error is not None and "AuthorizationError" in alert.error
    assert tracked.faults.total == 1
    report()


def test_given_the_alert_topic_accepting_then_the_incident_records_the_alert_as_sent(tracked, report):
    topic = boto3.client("sns").create_topic(Name="automation-alerts")["TopicArn"]

    _pass(tracked, SnsAlerts(topic))

    [incident] = IncidentModel.query(incident_key("sequences"))
    [alert] = incident.alerts
    assert alert.error is None
    report()
