"""Watchdog passes racing on the moto server that real concurrent clients talk to: one row per missed tick,
one incident, one alert."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier, Lock

import pytest

from functions.catalog import CATALOG
from functions.data.models import IncidentModel, incident_key
from functions.data.run_log import RunLog
from functions.data.run_types import RunQuery
from functions.data.vocabulary import RunStatus
from functions.lifecycle.watchdog import watch
from tests.support.serial_moto import serial_dynamodb

NOW = datetime(2026, 11, 28, 9, 1, tzinfo=UTC)
PASSES = 4


@pytest.fixture
def moto_server() -> Iterator[str]:
    # Requests are atomic one by one, as in DynamoDB (see SerialMotoServer); the clients still race.
    with serial_dynamodb() as endpoint:
        yield endpoint


class SharedAlerts:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self._lock = Lock()

    def publish(self, subject: str, body: dict) -> None:
        with self._lock:
            self.sent.append(subject)


def test_given_watchdog_passes_at_the_same_moment_then_each_missed_tick_has_one_row_and_one_alert_goes_out(
    moto_server,
):
    # Given sequences tracked for two hours with none of its ticks run
    RunLog(retention_days=90).ensure_tracking("sequences", NOW - timedelta(hours=2))
    alerts = SharedAlerts()
    barrier = Barrier(PASSES)

    # When several passes run at once
    def one_pass(_: int) -> list[str]:
        run_log = RunLog(retention_days=90)
        barrier.wait()
        return list(watch(CATALOG, run_log, alerts, NOW)["sequences"]["missed"])

    with ThreadPoolExecutor(PASSES) as pool:
        written = [tick for ticks in pool.map(one_pass, range(PASSES)) for tick in ticks]

    # Then every owed tick (07:15 to 08:45, every 15 minutes) has exactly one MISSED row, written by one pass
    run_log = RunLog(retention_days=90)
    page = run_log.query_runs(RunQuery(jobs=["sequences"], status=RunStatus.MISSED, limit=100))
    ticks = sorted(run.scheduled_for for run in page.runs)
    expected = [datetime(2026, 11, 28, 7, 15, tzinfo=UTC) + timedelta(minutes=15 * n) for n in range(7)]
    assert ticks == expected
    assert sorted(written) == sorted(tick.strftime("%Y-%m-%dT%H:%M:%SZ") for tick in expected)
    # And one incident, alerted once
    [incident] = IncidentModel.query(incident_key("sequences"))
    assert alerts.sent.count("DevSphere Automation: sequences is LATE") == 1
    assert [alert.subject for alert in incident.alerts] == ["DevSphere Automation: sequences is LATE"]
    assert run_log.get_state("sequences").alert_incident == incident.sk
