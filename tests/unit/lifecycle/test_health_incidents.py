"""An incident as the job state names it and as the API shows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from functions.data.incidents import incident_kind, is_incident_key
from functions.data.models import IncidentAlertAttribute, IncidentModel, incident_key, journal_sort_key
from functions.lifecycle.incident_views import incident_view

START = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)


def test_given_the_state_names_an_incident_by_key_then_its_kind_is_read_from_the_key():
    key = journal_sort_key(START, "TIMED_OUT-0123456789ab")

    assert (incident_kind(key), is_incident_key(key)) == ("TIMED_OUT", True)


def test_given_a_state_from_before_incident_records_then_the_stored_kind_is_the_kind():
    assert (incident_kind("LATE"), is_incident_key("LATE")) == ("LATE", False)
    assert (incident_kind(None), is_incident_key(None)) == (None, False)


def _incident(**fields) -> IncidentModel:
    sk = journal_sort_key(START, "FAILING-0123456789ab")
    return IncidentModel(
        incident_key("sequences"),
        sk,
        job="sequences",
        kind="FAILING",
        incident_id="FAILING-0123456789ab",
        started_at=START,
        summary="Run X ended FAILED: ConnectionError: refused",
        alerts=[IncidentAlertAttribute(at=START, subject="DevSphere Automation: sequences is FAILING")],
        **fields,
    )


def test_given_an_open_incident_then_it_shows_open_with_no_end_and_its_alerts():
    view = incident_view(_incident())

    assert (view["open"], view["ended_at"], view["duration_ms"]) == (True, None, None)
    assert view["alerts"] == [
        {"at": "2026-11-28T07:00:00Z", "subject": "DevSphere Automation: sequences is FAILING", "error": None}
    ]


def test_given_a_closed_incident_then_its_duration_is_start_to_end():
    view = incident_view(_incident(ended_at=START + timedelta(minutes=90), end_summary="recovered: HEALTHY"))

    assert (view["open"], view["ended_at"], view["duration_ms"]) == (False, "2026-11-28T08:30:00Z", 5_400_000)
    assert view["end_summary"] == "recovered: HEALTHY"
