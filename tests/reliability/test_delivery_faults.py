"""Sends under SES and DynamoDB faults: an email is sent once, or listed as unconfirmed, never sent twice."""

from __future__ import annotations

from datetime import timedelta

from functions.data.platform import SendClaimModel
from functions.data.platform_store import get_one
from functions.data.vocabulary import RunStatus
from tests.integration.jobs.job_harness import owner


def _marks_sent(params: dict) -> bool:
    values = str(params.get("ExpressionAttributeValues", ""))
    return "'sent'" in values and "message_id" in str(params.get("ExpressionAttributeNames", ""))


def test_given_ses_throttles_when_sending_then_each_email_is_retried_and_sent_once(world, report):
    world.seed_steps(6)
    world.faults.error("ses", "SendEmail", "Throttling", times=3)

    invocation = world.tick()

    assert invocation.result["outcome"] == "SUCCEEDED"
    tally = report()
    assert tally.emails_sent == 6 and tally.faults == 3


def test_given_ses_answers_are_lost_when_sending_then_those_emails_are_unconfirmed_and_never_resent(
    world, report
):
    # Given SES accepts two emails but its answers are lost in transit (read timeouts)
    world.seed_steps(5)
    world.faults.lose_answer("ses", "SendEmail", times=2)

    first = world.run_log.get_run(world.tick().result["run_id"])
    world.clock.advance(timedelta(minutes=15))
    second = world.run_log.get_run(world.tick().result["run_id"])

    # Then the two are listed on the run as unconfirmed, not failed-and-retried, and no later run resends them
    assert first.status == RunStatus.PARTIAL
    assert len(first.unconfirmed_values()) == 2
    assert all("answer was lost" in entry["reason"] for entry in first.unconfirmed_values())
    assert second.status == RunStatus.SUCCEEDED or len(second.unconfirmed_values()) <= 2
    tally = report()
    assert tally.emails_sent == 5  # SES really accepted all five: none went out twice


def test_given_the_sent_mark_fails_after_ses_accepted_when_the_run_goes_on_then_it_is_not_sent_again(
    world, report
):
    # Given SES accepts an email but the ledger write marking it SENT stays throttled
    world.seed_steps(3)
    world.faults.throttle_dynamodb("UpdateItem", times=200, when=_marks_sent)

    first = world.tick()
    world.faults.rules.clear()
    run = world.run_log.get_run(first.result["run_id"])

    # Then every such email is on the run as unconfirmed — it was sent, so it must not be released blindly
    assert {entry["reason"].split(" ")[0] for entry in run.unconfirmed_values()} == {"SES"}
    assert all("do not release" in entry["reason"] for entry in run.unconfirmed_values())

    # And after the claim's lease, later runs still do not resend them
    world.clock.advance(timedelta(hours=1))
    world.tick()
    tally = report()
    assert tally.emails_sent == 3


def test_given_a_send_refused_by_ses_throttling_for_good_when_retried_later_then_it_is_sent_once(
    world, report
):
    world.seed_steps(2)
    world.faults.error("ses", "SendEmail", "Throttling", times=10)

    first = world.run_log.get_run(world.tick().result["run_id"])
    world.clock.advance(timedelta(minutes=15))
    second = world.run_log.get_run(world.tick().result["run_id"])

    # A throttled send certainly did not happen: it failed, visibly, and the next run sent it
    assert first.count_values()["failed"] >= 1 and "Throttling" in first.item_error_values()[0]["reason"]
    assert second.count_values().get("emails_sent", 0) == 2 - first.count_values().get("emails_sent", 0)
    for n in range(2):
        claim = get_one(SendClaimModel, f"sequence-step:e-{n}:0")
        assert claim is not None and claim.status == "sent"
    report()


def test_given_one_recipient_unconfirmed_and_one_refused_when_a_reminder_settles_then_both_are_on_the_run(
    world, report
):
    # Given a renewal reminder for the owner and the customer: SES's answer for the first send is lost,
    # and SES throttles the second past every retry
    world.platform.load(
        {
            "users": [owner()],
            "subscriptions": [
                {
                    "id": "acme",
                    "customer": "Acme Ltd",
                    "owner_id": "u-ana",
                    "contact_email": "buyer@acme.example",
                    "contact_name": "Pat Buyer",
                    "renewal_date": "today+30d",
                }
            ],
        }
    )
    world.faults.lose_answer("ses", "SendEmail", times=1)
    world.faults.error("ses", "SendEmail", "Throttling", times=10)

    run = world.run_log.get_run(world.tick("renewal-reminders").result["run_id"])

    # Then the item fails for the refused recipient and the unknown send is still listed, by its claim
    assert run.status == RunStatus.FAILED
    assert "Throttling" in run.item_error_values()[0]["reason"]
    [entry] = run.unconfirmed_values()
    assert entry["item"].startswith("subscription:acme") and "answer was lost" in entry["reason"]
    report()
