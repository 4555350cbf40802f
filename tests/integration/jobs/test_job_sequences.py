"""sequences: the due step of each active enrollment is sent, rendered, and the enrollment advances."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from moto.ses.exceptions import MessageRejectedError
from moto.ses.models import SESBackend

from functions.data.platform import ContactModel, EnrollmentModel
from functions.data.platform_store import get_one
from tests.integration.jobs.job_harness import Platform, owner

WELCOME = {
    "id": "s-welcome",
    "name": "Welcome",
    "steps": [
        {
            "delay_minutes": 0,
            "subject": "Welcome, {first_name}",
            "body": "Hi {name},\n\nThanks for joining {company}.",
        },
        {"delay_minutes": 2880, "subject": "Any questions, {first_name}?", "body": "Reply to {owner_name}."},
    ],
}


def contact(contact_id: str, email: str, name: str, **flags: Any) -> dict[str, Any]:
    return {"id": contact_id, "email": email, "name": name, "company": "Acme", "owner_id": "u-ana", **flags}


def enrollment(enrollment_id: str, contact_id: str, due: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": enrollment_id,
        "contact_id": contact_id,
        "sequence_id": "s-welcome",
        "next_send_at": due,
        **extra,
    }


def seeded(platform: Platform) -> None:
    platform.load(
        {
            "users": [owner()],
            "sequences": [WELCOME],
            "contacts": [
                contact("c-ada", "ada@example.com", "Ada <Lovelace>"),
                contact("c-bob", "bob@example.com", "Bob Stone"),
                contact("c-cy", "cy@example.com", "Cy Young"),
                contact("c-dee", "dee@example.com", "Dee Replied", replied=True),
                contact("c-eve", "eve@example.com", "Eve Gone", unsubscribed=True),
            ],
            "enrollments": [
                enrollment("e-ada", "c-ada", "now-5m"),
                enrollment("e-bob", "c-bob", "now-1h", current_step=1),
                enrollment("e-cy", "c-cy", "now+1h"),
                enrollment("e-dee", "c-dee", "now-1m"),
                enrollment("e-eve", "c-eve", "now"),
                enrollment("e-old", "c-cy", "now-1d", status="completed"),
            ],
        }
    )


def test_given_due_enrollments_when_sequences_runs_then_exactly_the_due_steps_are_sent_and_advanced(
    platform: Platform,
) -> None:
    seeded(platform)

    result = platform.run("sequences")

    run = platform.record(result)
    assert run.status == "SUCCEEDED"
    counts = run.count_values()
    assert counts["steps_sent"] == 2 and counts["emails_sent"] == 2
    assert counts["enrollments_completed"] == 1 and counts["enrollments_stopped"] == 2
    assert counts["processed"] == 4
    [to_ada] = platform.sent_to("ada@example.com")
    assert to_ada.source == "automation@devsphere.example"
    assert to_ada.subject == "Welcome, Ada"
    # The HTML part escapes the contact's own text: a name is never markup.
    assert "Hi Ada &lt;Lovelace&gt;," in to_ada.body and "Thanks for joining Acme." in to_ada.body
    [to_bob] = platform.sent_to("bob@example.com")
    assert to_bob.subject == "Any questions, Bob?" and "Reply to Ana Silva." in to_bob.body
    assert len(platform.sent()) == 2

    ada = get_one(EnrollmentModel, "e-ada")
    assert ada is not None and ada.current_step == 1 and ada.status == "active"
    assert ada.next_send_at == platform.clock.now() + timedelta(minutes=2880)
    bob = get_one(EnrollmentModel, "e-bob")
    assert bob is not None and bob.status == "completed" and bob.due_at is None
    dee = get_one(EnrollmentModel, "e-dee")
    assert dee is not None and (dee.status, dee.stop_reason) == ("stopped", "contact replied")
    eve = get_one(EnrollmentModel, "e-eve")
    assert eve is not None and (eve.status, eve.stop_reason) == ("stopped", "contact unsubscribed")
    cy = get_one(EnrollmentModel, "e-cy")
    assert cy is not None and cy.current_step == 0 and cy.status == "active"


def test_given_a_finished_run_when_the_job_runs_again_or_is_re_run_now_then_nothing_is_sent_twice(
    platform: Platform,
) -> None:
    seeded(platform)
    platform.run("sequences")
    sent_once = len(platform.sent())

    platform.clock.advance(timedelta(minutes=15))
    again = platform.record(platform.run("sequences"))
    manual = platform.record(platform.run_now("sequences"))

    assert len(platform.sent()) == sent_once == 2
    assert again.count_values()["processed"] == 0 and manual.count_values()["processed"] == 0
    assert manual.trigger == "MANUAL" and manual.status == "SUCCEEDED"


def test_given_a_step_sent_but_not_recorded_when_the_job_runs_then_the_claim_stops_a_second_send(
    platform: Platform,
) -> None:
    seeded(platform)
    platform.run("sequences")
    # As if the run died after SES accepted the email but before the enrollment moved on.
    ada = get_one(EnrollmentModel, "e-ada")
    assert ada is not None
    ada.update(
        actions=[
            EnrollmentModel.current_step.set(0),
            *EnrollmentModel.due_actions(platform.clock.now()),
        ]
    )

    run = platform.record(platform.run_now("sequences"))

    assert len(platform.sent_to("ada@example.com")) == 1
    assert run.count_values()["skipped"] == 1 and run.count_values().get("steps_sent", 0) == 0
    ada = get_one(EnrollmentModel, "e-ada")
    assert ada is not None and ada.current_step == 1 and ada.due_at is not None


def test_given_a_rejected_address_when_sequences_runs_then_only_that_item_fails_and_the_contact_is_marked(
    platform: Platform,
) -> None:
    seeded(platform)
    ContactModel.new("c-bad", email="not-an-address", name="Broken Address", owner_id="u-ana").save()
    EnrollmentModel.new("e-bad", contact_id="c-bad", sequence_id="s-welcome").save()
    bad = get_one(EnrollmentModel, "e-bad")
    assert bad is not None
    bad.update(actions=EnrollmentModel.due_actions(platform.clock.now() - timedelta(minutes=1)))

    run = platform.record(platform.run("sequences"))

    assert run.status == "PARTIAL"
    assert run.count_values()["failed"] == 1 and run.count_values()["steps_sent"] == 2
    [error] = run.item_error_values()
    assert error["key"] == "enrollment:e-bad:step:0"
    assert "DeliveryRejected" in error["reason"] and "not-an-address" in error["reason"]
    contact_record = get_one(ContactModel, "c-bad")
    assert contact_record is not None and contact_record.bounced
    enrollment_record = get_one(EnrollmentModel, "e-bad")
    assert enrollment_record is not None and enrollment_record.failures == 1
    assert "not-an-address" in (enrollment_record.last_error or "")

    # The next run does not try the address again: the bounced contact stops the enrollment.
    platform.clock.advance(timedelta(minutes=15))
    next_run = platform.record(platform.run("sequences"))
    assert next_run.status == "SUCCEEDED" and next_run.count_values()["enrollments_stopped"] == 1
    stopped = get_one(EnrollmentModel, "e-bad")
    assert stopped is not None and (stopped.status, stopped.stop_reason) == ("stopped", "contact bounced")


def test_given_ses_refuses_an_address_as_undeliverable_when_sequences_runs_then_the_contact_is_stopped(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(platform)
    original = SESBackend.send_email

    def refuse_bob(backend: SESBackend, source: str, subject: str, body: str, destinations: Any) -> Any:
        if "bob@example.com" in destinations["ToAddresses"]:
            raise MessageRejectedError("Address blacklisted.")
        return original(backend, source, subject, body, destinations)

    monkeypatch.setattr(SESBackend, "send_email", refuse_bob)

    run = platform.record(platform.run("sequences"))

    # A refusal of the recipient itself, unlike the sandbox's: the contact is bounced for good.
    assert run.status == "PARTIAL"
    [error] = run.item_error_values()
    assert error["reason"].startswith("DeliveryRejected: MessageRejected: Address blacklisted.")
    bob = get_one(ContactModel, "c-bob")
    assert bob is not None and bob.bounced and "blacklisted" in (bob.bounce_reason or "")
    ada = get_one(ContactModel, "c-ada")
    assert ada is not None and not ada.bounced
