"""Recovery after a fix: each job's parked items are released and then worked by the next run; a record that
changed since it was parked is not revived; a retry is refused while a run is in flight and repeats safely.

The failure is the configuration problem an admin fixes and then retries: the SES sender is not verified,
so every send is refused until it is, and the items reach their retry limit and are parked.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest

from functions.data.activity import Action
from functions.data.errors import JobBusyError
from functions.data.models import RunModel
from functions.data.platform import (
    ContactModel,
    EnrollmentModel,
    FollowUpModel,
    ReportModel,
    SubscriptionModel,
)
from functions.data.platform_store import force_update, get_one
from functions.data.run_types import Caller
from functions.lifecycle.events import manual_payload
from functions.lifecycle.recovery import NotRetryableError, release_parked, retry_failed
from functions.settings import get_settings
from tests.integration.jobs.job_harness import Platform, RecordingInvoker, owner

ADMIN = Caller(sub="admin-sub", username="dana", email="dana@devsphere.example", groups=("admin",))
REASON = "sender verified in SES"


def unverify_sender() -> None:
    boto3.client("ses").delete_identity(Identity=get_settings().sender_email)


def verify_sender() -> None:
    boto3.client("ses").verify_email_identity(EmailAddress=get_settings().sender_email)


def park(platform: Platform, job: str) -> RunModel:
    """Runs the job with the sender unverified until its failing item is parked; the parking run."""
    unverify_sender()
    for _ in range(4):
        run = platform.record(platform.run(job))
        platform.clock.advance(timedelta(minutes=15))
    assert run.count_values().get("items_parked") == 1, run.count_values()
    assert "not verified" in run.item_errors[0].reason
    return run


SEQUENCE = {
    "id": "s-welcome",
    "name": "Welcome",
    "steps": [{"delay_minutes": 0, "subject": "Welcome, {first_name}", "body": "Hi {name}."}],
}

SEEDS: dict[str, dict[str, Any]] = {
    "follow-ups": {
        "users": [owner()],
        "contacts": [{"id": "c-ada", "email": "ada@example.com", "name": "Ada Lovelace"}],
        "follow_ups": [{"id": "f-call", "owner_id": "u-ana", "contact_id": "c-ada", "due_at": "now-5m"}],
    },
    "sequences": {
        "users": [owner()],
        "sequences": [SEQUENCE],
        "contacts": [
            {"id": "c-ada", "email": "ada@example.com", "name": "Ada Lovelace", "owner_id": "u-ana"}
        ],
        "enrollments": [
            {"id": "e-ada", "contact_id": "c-ada", "sequence_id": "s-welcome", "next_send_at": "now-5m"}
        ],
    },
    "renewal-reminders": {
        "users": [owner()],
        "subscriptions": [
            {
                "id": "acme",
                "customer": "Acme Ltd",
                "owner_id": "u-ana",
                "contact_email": "buyer@acme.example",
                "renewal_date": "today+7d",
                "reminder_offsets": [7],
            }
        ],
    },
    "scheduled-reports": {
        "users": [owner()],
        "reports": [
            {
                "id": "daily",
                "name": "Pipeline (daily)",
                "type": "pipeline_summary",
                "frequency": "daily",
                "recipients": ["ceo@devsphere.example"],
                "next_due_at": "2026-11-28T07:00:00Z",
            }
        ],
    },
}
KEYS = {
    "follow-ups": "follow-up:f-call",
    "sequences": "enrollment:e-ada:step:0",
    "renewal-reminders": "subscription:acme:2026-12-05:7d",
    "scheduled-reports": "report:daily:2026-11-27",
}
RECORDS = {
    "follow-ups": (FollowUpModel, "f-call"),
    "sequences": (EnrollmentModel, "e-ada"),
    "renewal-reminders": (SubscriptionModel, "acme"),
    "scheduled-reports": (ReportModel, "daily"),
}

# What "parked" is for each job's record: out of the due queue, or its period or reminder given up.
PARKED = {
    "follow-ups": lambda r: r.status == "failed" and r.due_at is None,
    "sequences": lambda r: r.status == "failed" and r.due_at is None,
    "renewal-reminders": lambda r: [(e.offset, e.outcome) for e in r.reminders] == [(7, "failed")],
    "scheduled-reports": lambda r: r.failed_period == "2026-11-27" and r.due_at == "2026-11-29T07:00:00Z",
}


@pytest.mark.parametrize("job", list(SEEDS))
def test_given_a_parked_item_when_released_after_the_fix_then_the_next_run_works_it(
    platform: Platform, job: str
) -> None:
    # Given an item parked by a configuration problem, now fixed
    platform.load(SEEDS[job])
    parked_by = park(platform, job)
    model, record_id = RECORDS[job]
    parked = get_one(model, record_id)
    assert parked is not None and PARKED[job](parked), parked
    verify_sender()
    sent_before = len(platform.sent())

    # When an admin releases the run's parked items
    result = release_parked(
        parked_by.run_id, None, ADMIN, REASON, run_log=platform.run_log, clock=platform.clock
    )

    # Then the item is back in the queue, due now, its failures forgotten and its last error still readable
    assert [outcome.key for outcome in result.released] == [KEYS[job]]
    assert result.not_released == [] and result.summary == "released 1 of 1 item"
    released = get_one(model, record_id)
    assert released is not None and released.failures == 0 and released.due_at is not None
    assert released.due_from() <= platform.clock.now()
    assert "not verified" in (released.last_error or "")
    (entry,) = platform.run_log.list_activity(job, 5).entries
    assert (entry.action, entry.run_id, entry.reason, entry.detail) == (
        Action.RELEASE_PARKED.value,
        parked_by.run_id,
        REASON,
        "released 1 of 1 item",
    )

    # And the next run sends what was parked
    run = platform.record(platform.run(job))
    assert run.status == "SUCCEEDED", run.item_error_values()
    assert len(platform.sent()) > sent_before
    done = get_one(model, record_id)
    assert done is not None and done.failures == 0 and done.last_error is None


def test_given_a_parked_enrollment_whose_contact_unsubscribed_since_when_released_then_it_is_not_revived(
    platform: Platform,
) -> None:
    platform.load(SEEDS["sequences"])
    parked_by = park(platform, "sequences")
    verify_sender()
    contact = get_one(ContactModel, "c-ada")
    assert contact is not None
    force_update(contact, [ContactModel.unsubscribed.set(True)])

    result = release_parked(
        parked_by.run_id, None, ADMIN, REASON, run_log=platform.run_log, clock=platform.clock
    )

    assert result.released == []
    assert [(o.key, o.detail) for o in result.not_released] == [
        ("enrollment:e-ada:step:0", "contact unsubscribed: not revived")
    ]
    enrollment = get_one(EnrollmentModel, "e-ada")
    assert enrollment is not None and enrollment.status == "failed" and enrollment.due_at is None
    assert platform.run_log.list_activity("sequences", 5).entries[0].detail == "released 0 of 1 item"


def test_given_a_parked_follow_up_marked_done_since_when_released_then_it_is_not_revived(
    platform: Platform,
) -> None:
    platform.load(SEEDS["follow-ups"])
    parked_by = park(platform, "follow-ups")
    platform.load({"follow_ups": [{**SEEDS["follow-ups"]["follow_ups"][0], "status": "done"}]})

    result = release_parked(
        parked_by.run_id,
        ["follow-up:f-call", "follow-up:other"],
        ADMIN,
        REASON,
        run_log=platform.run_log,
        clock=platform.clock,
    )

    assert result.released == []
    assert {o.key: o.detail for o in result.not_released} == {
        "follow-up:other": "not a failed item of this run",
        "follow-up:f-call": "the follow-up is done now: not revived",
    }


def test_given_a_run_in_flight_when_retrying_then_it_is_refused_and_nothing_is_released(
    platform: Platform, invoker: RecordingInvoker
) -> None:
    platform.load(SEEDS["follow-ups"])
    parked_by = park(platform, "follow-ups")
    verify_sender()
    busy = platform.run_log.create_queued(
        "follow-ups",
        "01KBUSYRUN0000000000000000",
        platform.clock.now(),
        platform.clock.now() + timedelta(minutes=10),
        ADMIN,
        "someone else's run",
    )

    with pytest.raises(JobBusyError) as refused:
        retry_failed(
            parked_by.run_id, ADMIN, REASON, run_log=platform.run_log, invoker=invoker, clock=platform.clock
        )

    assert refused.value.blocking_run_id == busy.run_id
    parked = get_one(FollowUpModel, "f-call")
    assert parked is not None and parked.status == "failed" and parked.due_at is None
    assert invoker.calls == []
    assert platform.run_log.list_activity("follow-ups", 5).entries == []
    with pytest.raises(JobBusyError):
        release_parked(parked_by.run_id, None, ADMIN, REASON, run_log=platform.run_log, clock=platform.clock)


def test_given_a_failed_run_when_retried_twice_with_one_key_then_one_run_is_started_linked_to_it(
    platform: Platform, invoker: RecordingInvoker
) -> None:
    # Given a parked follow-up and its fixed cause
    platform.load(SEEDS["follow-ups"])
    parked_by = park(platform, "follow-ups")
    verify_sender()

    # When the admin retries it, and the request is repeated with the same key
    first = retry_failed(
        parked_by.run_id,
        ADMIN,
        REASON,
        run_log=platform.run_log,
        invoker=invoker,
        clock=platform.clock,
        idempotency_key="retry-1",
    )
    again = retry_failed(
        parked_by.run_id,
        ADMIN,
        REASON,
        run_log=platform.run_log,
        invoker=invoker,
        clock=platform.clock,
        idempotency_key="retry-1",
    )

    # Then one manual run is queued, linked to the retried run, and only the first request released
    assert first.release is not None and first.release.summary == "released 1 of 1 item"
    assert again.release is None and again.run.run_id == first.run.run_id
    assert len(invoker.calls) == 1
    run = platform.run_log.get_run(first.run.run_id)
    assert (run.trigger, run.retry_of) == ("MANUAL", parked_by.run_id)
    assert run.reason == f"Retry of run {parked_by.run_id}: {REASON}"
    assert list(platform.run_log.get_run(parked_by.run_id).retried_by) == [run.run_id]
    activity = platform.run_log.list_activity("follow-ups", 5).entries
    assert [(e.action, e.run_id) for e in activity] == [(Action.RETRY.value, run.run_id)]
    assert activity[0].detail == f"retry of run {parked_by.run_id}: released 1 of 1 item"

    # And the new run, picked up by the job's function, sends the reminder
    result = platform.runner("follow-ups").handle(
        manual_payload("follow-ups", run.run_id), platform.lambda_context()
    )
    assert platform.record(result).status == "SUCCEEDED"
    assert get_one(FollowUpModel, "f-call").status == "reminded"  # type: ignore[union-attr]


def test_given_a_succeeded_run_when_retried_then_it_is_refused_naming_its_status(
    platform: Platform, invoker: RecordingInvoker
) -> None:
    platform.load(SEEDS["follow-ups"])
    run = platform.record(platform.run("follow-ups"))
    assert run.status == "SUCCEEDED"

    with pytest.raises(NotRetryableError, match="is SUCCEEDED"):
        retry_failed(
            run.run_id, ADMIN, REASON, run_log=platform.run_log, invoker=invoker, clock=platform.clock
        )
    assert invoker.calls == []


def test_given_a_failed_item_not_yet_parked_when_released_then_its_failures_are_reset(
    platform: Platform,
) -> None:
    platform.load(SEEDS["follow-ups"])
    unverify_sender()
    failed = platform.record(platform.run("follow-ups"))
    platform.clock.advance(timedelta(minutes=15))
    platform.record(platform.run("follow-ups"))
    assert get_one(FollowUpModel, "f-call").failures == 2  # type: ignore[union-attr]

    result = release_parked(
        failed.run_id, None, ADMIN, REASON, run_log=platform.run_log, clock=platform.clock
    )

    assert [o.detail for o in result.released] == [
        "its 2 failed attempts forgotten: the next run retries it with all its attempts"
    ]
    record = get_one(FollowUpModel, "f-call")
    assert record is not None and record.failures == 0 and record.status == "open"


def test_given_a_lock_whose_lease_lapsed_when_releasing_then_it_does_not_block(platform: Platform) -> None:
    # Given a queued run that never started, its lease long lapsed (the watchdog will close it)
    platform.load(SEEDS["follow-ups"])
    parked_by = park(platform, "follow-ups")
    verify_sender()
    now = platform.clock.now()
    platform.run_log.create_queued(
        "follow-ups", "01KLAPSED00000000000000000", now, now + timedelta(minutes=1), ADMIN, "never started"
    )
    platform.clock.advance(timedelta(minutes=5))

    result = release_parked(
        parked_by.run_id, None, ADMIN, REASON, run_log=platform.run_log, clock=platform.clock
    )

    # Then the release goes ahead, as a new run could take that lock too
    assert [o.key for o in result.released] == ["follow-up:f-call"]
