"""The send-claim ledger and SES error mapping, against moto: no email twice, none lost to a crash."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest

from functions.automations.delivery import DeliveryConfigurationError, Email, Mailer
from functions.catalog import get_job
from functions.data import platform_claims, platform_store
from functions.data.platform import ContactModel, EnrollmentModel, SendClaimModel
from functions.data.platform_claims import ClaimState
from functions.data.platform_store import get_one
from functions.data.run_types import Caller
from functions.lifecycle.manual import release_unconfirmed
from functions.settings import get_settings
from local.aws import enforce_ses_sandbox
from tests.integration.jobs.job_harness import Platform, owner

STEP_KEY = "sequence-step:e-ada:0"


def seeded(platform: Platform) -> None:
    platform.load(
        {
            "users": [owner()],
            "sequences": [
                {
                    "id": "s-1",
                    "name": "One",
                    "steps": [{"delay_minutes": 0, "subject": "Hi", "body": "Hello"}],
                }
            ],
            "contacts": [{"id": "c-ada", "email": "ada@example.com", "name": "Ada", "owner_id": "u-ana"}],
            "enrollments": [
                {"id": "e-ada", "contact_id": "c-ada", "sequence_id": "s-1", "next_send_at": "now"}
            ],
        }
    )


def test_given_an_unverified_sender_when_ses_rejects_the_message_then_it_is_a_configuration_error(
    aws: None,
) -> None:
    email = Email(to=("ada@example.com",), subject="Hi", text="Hello")

    with pytest.raises(DeliveryConfigurationError) as rejected:
        Mailer().send(email)

    assert "MessageRejected" in str(rejected.value) and get_settings().sender_email in str(rejected.value)
    assert str(rejected.value).startswith("configuration: verify the sender address")


@pytest.fixture
def sandbox() -> Iterator[None]:
    undo = enforce_ses_sandbox()
    yield
    undo()


def test_given_the_ses_sandbox_when_sequences_runs_then_the_contact_is_kept_and_is_sent_once_verified(
    platform: Platform, sandbox: None
) -> None:
    seeded(platform)

    first = platform.record(platform.run("sequences"))

    # The account's sandbox refused the address: a problem of ours, not a bounce of the contact.
    assert first.status == "FAILED" and platform.sent() == []
    [error] = first.item_error_values()
    assert error["reason"].startswith("DeliveryConfigurationError: configuration: verify the recipient")
    contact = get_one(ContactModel, "c-ada")
    assert contact is not None and not contact.bounced
    enrollment = get_one(EnrollmentModel, "e-ada")
    assert enrollment is not None and enrollment.status == "active" and enrollment.failures == 1

    # The operator verifies the address: the next run sends the step.
    boto3.client("ses").verify_email_identity(EmailAddress="ada@example.com")
    platform.clock.advance(timedelta(minutes=15))
    second = platform.record(platform.run("sequences"))

    assert second.status == "SUCCEEDED" and second.count_values()["steps_sent"] == 1
    assert len(platform.sent_to("ada@example.com")) == 1


def test_given_every_item_hits_the_sandbox_when_a_job_runs_then_the_run_names_one_cause_and_its_fix(
    platform: Platform, sandbox: None
) -> None:
    seeded(platform)
    for name in ("bob", "cy", "dee"):
        ContactModel.new(f"c-{name}", email=f"{name}@example.com", name=name, owner_id="u-ana").save()
        EnrollmentModel.new(f"e-{name}", contact_id=f"c-{name}", sequence_id="s-1").save()
        record = get_one(EnrollmentModel, f"e-{name}")
        assert record is not None
        record.update(actions=EnrollmentModel.due_actions(platform.clock.now()))

    run = platform.record(platform.run("sequences"))

    assert run.status == "FAILED" and run.count_values()["failed"] == 4
    assert run.error is not None and run.error.type == "AllItemsFailed"
    assert run.error.message.startswith(
        "4 items failed: 4 for DeliveryConfigurationError: configuration: verify the recipient addresses "
        "in SES or request SES production access"
    )
    assert ";" not in run.error.message


def test_given_an_unverified_sender_when_sequences_runs_then_items_fail_but_no_contact_is_marked_bounced(
    platform: Platform,
) -> None:
    seeded(platform)
    boto3.client("ses").delete_identity(Identity=get_settings().sender_email)

    run = platform.record(platform.run("sequences"))

    assert run.status == "FAILED" and run.error is not None and run.error.type == "AllItemsFailed"
    assert "MessageRejected" in run.item_error_values()[0]["reason"]
    assert "configuration: verify the sender address" in run.item_error_values()[0]["reason"]
    contact = get_one(ContactModel, "c-ada")
    assert contact is not None and not contact.bounced
    claim = get_one(SendClaimModel, STEP_KEY)
    assert claim is not None and claim.status == "failed"


def test_given_a_claim_left_by_a_crashed_run_when_its_lease_is_live_then_the_step_is_left_to_it(
    platform: Platform,
) -> None:
    seeded(platform)
    now = platform.clock.now()
    platform_claims.claim(STEP_KEY, "01CRASHEDRUN0000000000000", now, now + timedelta(minutes=5), 4)

    run = platform.record(platform.run("sequences"))

    assert platform.sent() == []
    assert run.count_values()["skipped"] == 1
    enrollment = get_one(EnrollmentModel, "e-ada")
    assert enrollment is not None and enrollment.current_step == 0 and enrollment.due_at is not None


def test_given_a_claim_left_by_a_crashed_run_when_its_lease_has_passed_then_it_is_unconfirmed_until_released(
    platform: Platform,
) -> None:
    seeded(platform)
    now = platform.clock.now()
    lease = get_job("sequences").timeout
    platform_claims.claim(STEP_KEY, "01CRASHEDRUN0000000000000", now, now + lease, 4)

    # Whether the crashed run's email went out is unknown: no later run sends it by guessing.
    platform.clock.advance(lease + timedelta(seconds=1))
    first = platform.record(platform.run("sequences"))
    platform.clock.advance(timedelta(minutes=15))
    second = platform.record(platform.run("sequences"))

    assert platform.sent() == []
    for run in (first, second):
        assert run.status == "FAILED"
        assert run.unconfirmed_values() == [
            {
                "claim": STEP_KEY,
                "item": "enrollment:e-ada:step:0",
                "reason": run.unconfirmed_values()[0]["reason"],
            }
        ]
        assert "delivery unconfirmed" in run.unconfirmed_values()[0]["reason"]
        assert run.count_values()["unconfirmed"] == 1
    enrollment = get_one(EnrollmentModel, "e-ada")
    assert enrollment is not None and enrollment.status == "active" and enrollment.failures == 0

    # An admin checked the mailbox and releases it: the next run sends it, once, and the release is audited.
    release = release_unconfirmed(
        second.run_id, None, Caller(sub="u-1", username="alice"), "not in SES sending stats",
        run_log=platform.run_log, clock=platform.clock,
    )  # fmt: skip
    platform.clock.advance(timedelta(minutes=15))
    third = platform.record(platform.run("sequences"))
    platform.clock.advance(timedelta(minutes=15))
    platform.run("sequences")

    assert release.released == [STEP_KEY]
    assert [(r.by.username, r.reason, list(r.claims)) for r in release.run.releases] == [
        ("alice", "not in SES sending stats", [STEP_KEY])
    ]
    assert third.status == "SUCCEEDED" and third.count_values()["steps_sent"] == 1
    assert len(platform.sent_to("ada@example.com")) == 1
    claim = get_one(SendClaimModel, STEP_KEY)
    assert claim is not None and claim.status == "sent" and claim.released_by == "alice"


def test_given_a_send_that_failed_every_attempt_when_the_job_runs_then_it_is_parked_not_sent(
    platform: Platform,
) -> None:
    seeded(platform)
    now = platform.clock.now()
    for attempt in range(4):
        at = now + timedelta(minutes=10 * attempt)
        claim = platform_claims.claim(
            STEP_KEY, f"01FAILEDRUN0000000000000{attempt}", at, at + timedelta(minutes=5), 4
        )
        assert claim.state is ClaimState.ACQUIRED
        assert claim.token is not None
        assert platform_claims.mark_failed(STEP_KEY, claim.token, "Throttling: rate exceeded")
    platform.clock.advance(timedelta(hours=1))

    run = platform.record(platform.run("sequences"))

    assert platform.sent() == []
    assert run.count_values()["items_parked"] == 1
    assert "AttemptsExhaustedError" in run.item_error_values()[0]["reason"]
    enrollment = get_one(EnrollmentModel, "e-ada")
    assert enrollment is not None and enrollment.status == "failed" and enrollment.due_at is None


def test_given_a_sent_claim_when_another_run_claims_it_then_it_is_told_it_was_sent(aws: None, clock) -> None:
    now = clock.now()
    first = platform_claims.claim("k", "run-a", now, now + timedelta(minutes=5), 4)
    assert first.token is not None
    platform_claims.mark_sent("k", first.token, "message-1", now)

    again = platform_claims.claim("k", "run-b", now + timedelta(hours=1), now + timedelta(hours=2), 4)

    assert first.state is ClaimState.ACQUIRED
    assert (again.state, again.holder) == (ClaimState.SENT, "run-a")


def test_given_a_stale_index_copy_when_the_record_changed_meanwhile_then_nothing_is_sent_for_it(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(platform)
    stale = platform_store.due_page(EnrollmentModel, platform.clock.now(), None, 10)
    # The platform stops the enrollment just after the index was read (an index lags its table).
    enrollment = get_one(EnrollmentModel, "e-ada")
    assert enrollment is not None
    enrollment.update(actions=[EnrollmentModel.status.set("stopped"), *EnrollmentModel.due_actions(None)])
    monkeypatch.setattr(platform_store, "due_page", lambda *args: stale)

    run = platform.record(platform.run("sequences"))

    assert platform.sent() == []
    assert run.status == "SUCCEEDED" and run.count_values()["skipped"] == 1
    assert get_one(SendClaimModel, STEP_KEY) is None
