"""The platform-data import: records validated with clear errors; the valid ones written and scheduled."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from functions.automations.importer import SAMPLE_DATA, import_file, import_records, main
from functions.data.platform import (
    ContactModel,
    EnrollmentModel,
    FollowUpModel,
    ReportModel,
    SequenceModel,
    SubscriptionModel,
)
from functions.data.platform_store import get_one
from tests.integration.jobs.job_harness import Platform, owner

SEQUENCE = {
    "id": "s-1",
    "name": "One",
    "steps": [{"delay_minutes": 0, "subject": "Hi {first_name}", "body": "Hello"}],
}


def test_given_the_sample_data_when_it_is_imported_then_every_record_is_written_and_the_jobs_find_due_work(
    platform: Platform,
) -> None:
    result = import_file(SAMPLE_DATA, clock=platform.clock)

    assert result.ok, result.summary()
    assert result.imported == {
        "users": 3,
        "contacts": 6,
        "deals": 6,
        "sequences": 2,
        "enrollments": 5,
        "follow_ups": 4,
        "subscriptions": 4,
        "reports": 3,
    }
    sequences = platform.record(platform.run("sequences")).count_values()
    assert (sequences["steps_sent"], sequences["enrollments_stopped"]) == (2, 2)
    assert platform.record(platform.run("follow-ups")).count_values()["reminders_sent"] == 2
    assert platform.record(platform.run("renewal-reminders")).count_values()["reminders_sent"] == 2
    assert platform.record(platform.run("scheduled-reports")).count_values()["reports_built"] == 2


def test_given_the_documented_example_when_it_is_imported_then_every_record_is_taken(
    platform: Platform,
) -> None:
    document = (Path(__file__).parents[3] / "docs" / "platform-data.md").read_text(encoding="utf-8")
    example = document.split("## Example", 1)[1].split("```json", 1)[1].split("```", 1)[0]

    result = import_records(json.loads(example), clock=platform.clock)

    assert result.ok, result.summary()
    assert sum(result.imported.values()) == 8


def test_given_bad_records_when_imported_then_each_is_reported_clearly_and_the_valid_ones_are_written(
    platform: Platform,
) -> None:
    data: dict[str, Any] = {
        "users": [owner(), {"id": "u-bad", "name": "Bad", "email": "not-an-email"}, owner()],
        "contacts": [
            {"id": "c-1", "email": "c1@example.com", "name": "One", "owner_id": "u-ana"},
            {"id": "c-2", "email": "c2@example.com", "name": "Two", "owner_id": "u-nobody"},
            {"id": "c-3", "email": "c3@example.com", "name": "Three", "colour": "blue"},
        ],
        "sequences": [
            SEQUENCE,
            {"id": "s-bad", "name": "Bad",
             "steps": [{"delay_minutes": 0, "subject": "Hi {nickname}", "body": "x"}]},
        ],
        "enrollments": [
            {"id": "e-1", "contact_id": "c-1", "sequence_id": "s-1"},
            {"id": "e-2", "contact_id": "c-2", "sequence_id": "s-1"},
            {"id": "e-3", "contact_id": "c-1", "sequence_id": "s-1", "current_step": 4},
        ],
        "follow_ups": [
            {"id": "f-1", "owner_id": "u-ana", "contact_id": "c-1", "deal_id": "d-1", "due_at": "now"},
            {"id": "f-2", "owner_id": "u-ana", "contact_id": "c-1", "due_at": "tomorrow"},
        ],
        "subscriptions": [
            {"id": "sub-1", "customer": "A", "owner_id": "u-ana", "contact_email": "a@a.example",
             "renewal_date": "today+30h", "timezone": "Mars/Olympus"},
        ],
        "reports": [
            {"id": "r-1", "name": "R", "type": "sales_forecast", "frequency": "daily", "recipients": []}
        ],
        "invoices": [],
    }  # fmt: skip

    result = import_records(data, clock=platform.clock)

    errors = [str(error) for error in result.errors]
    assert errors == [
        "invoices: unknown kind; expected one of users, contacts, deals, sequences, enrollments, follow_ups, "
        "subscriptions, reports",
        "users[1] (id 'u-bad'): email: 'not-an-email' is not an email address",
        "users[2] (id 'u-ana'): the same id appears earlier in this file",
        "contacts[2] (id 'c-3'): colour: Extra inputs are not permitted",
        "sequences[1] (id 's-bad'): steps.0.subject: unknown placeholder {nickname}; a step may use {name}, "
        "{first_name}, {email}, {company}, {owner_name}, {owner_email}",
        "follow_ups[0] (id 'f-1'): give exactly one of contact_id or deal_id",
        "follow_ups[1] (id 'f-2'): due_at: 'tomorrow' is not an ISO 8601 time with a zone "
        "(2026-11-28T09:00:00Z), or now+15m",
        "subscriptions[0] (id 'sub-1'): renewal_date: 'today+30h': a relative date moves in whole days "
        "(today+30d); timezone: 'Mars/Olympus' is not an IANA time zone such as Europe/London",
        "reports[0] (id 'r-1'): type: Input should be 'pipeline_summary', 'upcoming_renewals' or "
        "'automation_health'; recipients: List should have at least 1 item after validation, not 0",
        "contacts[1] (id 'c-2'): owner 'u-nobody' is neither valid in this file nor stored",
        "enrollments[1] (id 'e-2'): contact 'c-2' is neither valid in this file nor stored",
        "enrollments[2] (id 'e-3'): current_step 4 is past the last step of sequence 's-1' "
        "(1 steps, counted from 0)",
    ]
    assert result.imported == {
        "users": 1, "contacts": 1, "deals": 0, "sequences": 1, "enrollments": 1, "follow_ups": 0,
        "subscriptions": 0, "reports": 0,
    }  # fmt: skip
    enrollment = get_one(EnrollmentModel, "e-1")
    assert enrollment is not None and enrollment.due_at == "2026-11-28T09:00:00Z"
    assert get_one(ContactModel, "c-2") is None and get_one(SequenceModel, "s-bad") is None


def test_given_stored_records_when_a_later_file_names_them_then_the_references_resolve(
    platform: Platform,
) -> None:
    platform.load({"users": [owner()], "contacts": [{"id": "c-1", "email": "c1@example.com", "name": "One"}]})

    result = import_records(
        {"follow_ups": [{"id": "f-1", "owner_id": "u-ana", "contact_id": "c-1", "due_at": "now+1h"}]},
        clock=platform.clock,
    )

    assert result.ok
    follow_up = get_one(FollowUpModel, "f-1")
    assert follow_up is not None and follow_up.related_label == "One <c1@example.com>"
    assert follow_up.due_at == "2026-11-28T10:00:00Z"


def test_given_job_progress_when_the_same_file_is_imported_again_then_the_progress_is_kept(
    platform: Platform,
) -> None:
    two_steps = {
        **SEQUENCE,
        "steps": [*SEQUENCE["steps"], {"delay_minutes": 60, "subject": "Again", "body": "x"}],
    }
    data = {
        "users": [owner()],
        "sequences": [two_steps],
        "contacts": [{"id": "c-1", "email": "c1@example.com", "name": "One"}],
        "enrollments": [{"id": "e-1", "contact_id": "c-1", "sequence_id": "s-1"}],
        "reports": [{"id": "r-1", "name": "R", "type": "pipeline_summary", "frequency": "daily",
                     "recipients": ["ceo@devsphere.example"], "next_due_at": "now"}],
    }  # fmt: skip
    platform.load(data)
    platform.run("sequences")
    platform.run("scheduled-reports")

    platform.clock.advance(timedelta(minutes=5))
    platform.load(data)

    enrollment = get_one(EnrollmentModel, "e-1")
    assert enrollment is not None and enrollment.current_step == 1
    assert enrollment.due_at == "2026-11-28T10:00:00Z"
    # The file sets the report's next_due_at, so that is taken as given; the period was sent already.
    report = get_one(ReportModel, "r-1")
    assert report is not None and report.due_at == "2026-11-28T09:05:00Z"
    platform.run("sequences")
    platform.run("scheduled-reports")
    assert len(platform.sent()) == 2  # one step and one report: the re-import sent nothing again


def test_given_a_moved_renewal_when_it_is_imported_then_its_next_reminder_is_recomputed(
    platform: Platform,
) -> None:
    subscription = {"id": "sub-1", "customer": "A", "owner_id": "u-ana", "contact_email": "a@a.example",
                    "renewal_date": "today+100d"}  # fmt: skip
    platform.load({"users": [owner(timezone="America/New_York")], "subscriptions": [subscription]})
    first = get_one(SubscriptionModel, "sub-1")

    platform.load({"subscriptions": [{**subscription, "renewal_date": "2027-01-15"}]})

    moved = get_one(SubscriptionModel, "sub-1")
    assert (
        first is not None and first.next_reminder_on == "2027-02-06" and first.timezone == "America/New_York"
    )
    assert moved is not None and moved.next_reminder_on == "2026-12-16"
    assert moved.due_at == "2026-12-16T05:00:00Z"  # midnight in New York


def test_given_files_when_the_import_command_runs_then_its_exit_code_says_how_it_went(
    platform: Platform, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps({"users": [owner()]}))
    bad.write_text(json.dumps({"users": [owner(), {"id": "x", "name": "X", "email": "x"}]}))

    codes = [main([str(good)]), main([str(bad)]), main([str(tmp_path / "missing.json")])]

    output = capsys.readouterr()
    assert codes == [0, 1, 2]
    assert (
        "imported: users 1" in output.out
        and "users[1] (id 'x'): email: 'x' is not an email address" in output.out
    )
    assert "cannot read" in output.err


def test_given_a_paused_report_when_it_is_resumed_then_the_periods_it_missed_are_not_sent_late(
    platform: Platform,
) -> None:
    paused = {"id": "r-1", "name": "R", "type": "pipeline_summary", "frequency": "daily",
              "recipients": ["ceo@devsphere.example"], "status": "paused"}  # fmt: skip
    platform.load({"reports": [paused]})
    platform.clock.advance(timedelta(days=10))

    platform.load({"reports": [{**paused, "status": "active"}]})

    report = get_one(ReportModel, "r-1")
    assert report is not None and report.due_at == "2026-12-09T07:00:00Z"
    assert platform.record(platform.run("scheduled-reports")).count_values()["processed"] == 0
