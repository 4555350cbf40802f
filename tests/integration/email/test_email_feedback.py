"""SES bounces and complaints stop the contact's sequences, once, and a transient bounce stops nothing."""

from __future__ import annotations

from typing import Any

import boto3

from functions.automations.delivery import Email, Mailer
from functions.data.platform import ContactModel, EmailFeedbackModel, EnrollmentModel
from functions.data.platform_store import get_one
from functions.monitors.email_feedback import handler
from functions.settings import get_settings
from tests.integration.email.ses_events import bounce, complaint
from tests.integration.jobs.job_harness import Platform, owner

SEQUENCE = {
    "id": "s-welcome",
    "name": "Welcome",
    "steps": [
        {"delay_minutes": 0, "subject": "Welcome", "body": "Hi {name}."},
        {"delay_minutes": 60, "subject": "Still there?", "body": "Hi again {name}."},
    ],
}


def contact(contact_id: str, email: str, **flags: Any) -> dict[str, Any]:
    return {"id": contact_id, "email": email, "name": contact_id, "owner_id": "u-ana", **flags}


def seeded(platform: Platform, *contacts: dict[str, Any]) -> None:
    platform.load(
        {
            "users": [owner()],
            "sequences": [SEQUENCE],
            "contacts": list(contacts),
            "enrollments": [
                {
                    "id": f"e-{c['id']}",
                    "contact_id": c["id"],
                    "sequence_id": "s-welcome",
                    "next_send_at": "now",
                }
                for c in contacts
            ],
        }
    )


def _contact(contact_id: str) -> ContactModel:
    found = get_one(ContactModel, contact_id)
    assert found is not None
    return found


def test_given_a_permanent_bounce_when_it_arrives_then_the_contact_is_bounced_and_its_sequence_stops(
    platform: Platform,
):
    seeded(platform, contact("c-ada", "ada@example.com"), contact("c-bob", "bob@example.com"))

    result = handler(bounce(["Ada@Example.com"], message_id="0102019a-msg-ada"), platform.lambda_context())

    ada = _contact("c-ada")
    assert result["marked"] == ["c-ada"] and result["message_id"] == "0102019a-msg-ada"
    assert ada.bounced is True
    assert ada.bounce_reason is not None
    assert "Permanent/General bounce: smtp; 550 5.1.1 user unknown" in ada.bounce_reason
    assert "0102019a-msg-ada" in ada.bounce_reason
    assert _contact("c-bob").bounced is False

    run = platform.record(platform.run("sequences"))

    stopped = get_one(EnrollmentModel, "e-c-ada")
    assert stopped is not None and stopped.status == "stopped" and stopped.stop_reason == "contact bounced"
    assert [m.destinations["ToAddresses"] for m in platform.sent()] == [["bob@example.com"]]
    assert run.count_values()["enrollments_stopped"] == 1


def test_given_a_transient_bounce_when_it_arrives_then_nothing_changes(platform: Platform):
    seeded(platform, contact("c-ada", "ada@example.com"))

    result = handler(
        bounce(["ada@example.com"], bounce_type="Transient", sub_type="MailboxFull"),
        platform.lambda_context(),
    )

    assert result["marked"] == [] and result["permanent"] is False
    assert _contact("c-ada").bounced is False
    assert get_one(EmailFeedbackModel, "0102019a-bounce-1") is None


def test_given_a_complaint_when_it_arrives_then_the_contact_is_unsubscribed_with_what_was_reported(
    platform: Platform,
):
    seeded(platform, contact("c-ada", "ada@example.com"))

    handler(complaint(["ada@example.com"]), platform.lambda_context())

    ada = _contact("c-ada")
    assert ada.unsubscribed is True and ada.bounced is False
    assert ada.complaint_reason is not None and ada.complaint_reason.startswith(
        "complaint (abuse) at 2026-11-28"
    )
    platform.run("sequences")
    stopped = get_one(EnrollmentModel, "e-c-ada")
    assert stopped is not None and stopped.stop_reason == "contact unsubscribed"
    assert platform.sent() == []


def test_given_a_bounce_delivered_twice_when_an_operator_cleared_the_contact_between_then_it_stays_cleared(
    platform: Platform,
):
    seeded(platform, contact("c-ada", "ada@example.com"))
    handler(bounce(["ada@example.com"]), platform.lambda_context())
    # The operator checked the address and re-imported the contact as deliverable.
    platform.load({"contacts": [contact("c-ada", "ada@example.com", bounced=False)]})

    again = handler(bounce(["ada@example.com"], event_id="event-1-redelivered"), platform.lambda_context())

    assert again["duplicate"] is True and again["marked"] == []
    ada = _contact("c-ada")
    assert ada.bounced is False and ada.bounce_reason is None


def test_given_a_new_bounce_for_a_contact_already_bounced_then_its_first_reason_is_kept(platform: Platform):
    seeded(platform, contact("c-ada", "ada@example.com"))
    handler(
        bounce(["ada@example.com"], feedback_id="first", message_id="msg-first"), platform.lambda_context()
    )

    later = handler(
        bounce(["ada@example.com"], feedback_id="second", message_id="msg-second"), platform.lambda_context()
    )

    assert later["already_flagged"] == ["c-ada"] and later["marked"] == []
    reason = _contact("c-ada").bounce_reason
    assert reason is not None and "msg-first" in reason


def test_given_two_contacts_sharing_an_address_when_it_bounces_then_both_stop(platform: Platform):
    seeded(platform, contact("c-ada", "ada@example.com"), contact("c-ada2", "ADA@example.com"))

    result = handler(bounce(["ada@example.com"]), platform.lambda_context())

    assert sorted(result["marked"]) == ["c-ada", "c-ada2"]
    assert _contact("c-ada2").bounced is True


def test_given_a_bounce_for_an_address_that_is_no_contact_then_it_is_reported_and_nothing_changes(
    platform: Platform,
):
    seeded(platform, contact("c-ada", "ada@example.com"))

    result = handler(bounce(["owner@devsphere.example"]), platform.lambda_context())

    assert result["unknown_recipients"] == ["owner@devsphere.example"] and result["marked"] == []
    assert _contact("c-ada").bounced is False


def test_given_an_event_that_is_not_ses_feedback_when_delivered_then_it_is_ignored_without_raising(
    platform: Platform,
):
    seeded(platform, contact("c-ada", "ada@example.com"))
    unreadable = bounce(["ada@example.com"])
    del unreadable["detail"]["bounce"]["bounceType"]

    assert handler(unreadable, platform.lambda_context()) == {"ignored": "unreadable"}
    assert handler({"detail-type": "Email Delivered", "detail": {}}, platform.lambda_context()) == {
        "ignored": "unreadable"
    }
    assert _contact("c-ada").bounced is False


def test_given_any_send_when_it_reaches_ses_then_it_names_the_configuration_set(platform: Platform):
    client = boto3.client("ses")
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.ses.SendEmail", lambda params, **_: sent.append(params)
    )

    Mailer(client).send(Email(to=("ada@example.com",), subject="Hello", text="Hi"))

    (params,) = sent
    assert params["ConfigurationSetName"] == get_settings().ses_configuration_set
    assert params["Source"] == get_settings().sender_email


def test_given_a_complained_contact_when_re_imported_as_subscribed_then_the_complaint_is_cleared_with_it(
    platform: Platform,
):
    seeded(platform, contact("c-ada", "ada@example.com"))
    handler(complaint(["ada@example.com"]), platform.lambda_context())

    platform.load({"contacts": [contact("c-ada", "ada@example.com", unsubscribed=False)]})

    ada = _contact("c-ada")
    assert ada.unsubscribed is False and ada.complaint_reason is None
