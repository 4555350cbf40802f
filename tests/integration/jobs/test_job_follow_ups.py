"""follow-ups: each open follow-up that came due reminds its owner once and is marked reminded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from functions.data.platform import FollowUpModel, SendClaimModel, UserModel
from functions.data.platform_claims import ClaimStatus
from functions.data.platform_store import get_one
from tests.integration.jobs.job_harness import Platform, owner


def follow_up(follow_up_id: str, due: str, **extra: Any) -> dict[str, Any]:
    return {"id": follow_up_id, "owner_id": "u-ana", "contact_id": "c-ada", "due_at": due, **extra}


def seeded(platform: Platform) -> None:
    platform.load(
        {
            "users": [owner(timezone="Europe/London"), owner("u-ben", "ben@devsphere.example")],
            "contacts": [{"id": "c-ada", "email": "ada@example.com", "name": "Ada Lovelace"}],
            "deals": [
                {
                    "id": "d-acme",
                    "name": "Acme expansion",
                    "stage": "proposal",
                    "amount": 1200,
                    "owner_id": "u-ben",
                }
            ],
            "follow_ups": [
                follow_up("f-call", "2026-11-28T08:30:00Z", note="Call about the pilot"),
                {
                    "id": "f-deal",
                    "owner_id": "u-ben",
                    "deal_id": "d-acme",
                    "due_at": "now-2h",
                    "note": "Send pricing",
                },
                follow_up("f-later", "now+30m"),
                follow_up("f-done", "now-1d", status="done"),
            ],
        }
    )


def test_given_due_follow_ups_when_the_job_runs_then_each_owner_is_reminded_once_and_it_is_marked(
    platform: Platform,
) -> None:
    seeded(platform)

    run = platform.record(platform.run("follow-ups"))

    assert run.status == "SUCCEEDED"
    assert run.count_values()["reminders_sent"] == 2 and run.count_values()["emails_sent"] == 2
    [to_ana] = platform.sent_to("ana@devsphere.example")
    assert to_ana.subject == "Follow-up due: Ada Lovelace <ada@example.com>"
    assert "Call about the pilot" in to_ana.body and "Sat 28 Nov 2026 08:30 GMT" in to_ana.body
    [to_ben] = platform.sent_to("ben@devsphere.example")
    assert to_ben.subject == "Follow-up due: deal Acme expansion" and "Send pricing" in to_ben.body
    assert len(platform.sent()) == 2
    call = get_one(FollowUpModel, "f-call")
    assert call is not None and call.status == "reminded" and call.due_at is None
    assert call.reminded_at == platform.clock.now()
    later = get_one(FollowUpModel, "f-later")
    assert later is not None and later.status == "open" and later.due_at is not None


def test_given_reminded_follow_ups_when_the_job_runs_again_and_is_re_run_then_nothing_is_sent_again(
    platform: Platform,
) -> None:
    seeded(platform)
    platform.run("follow-ups")

    platform.run_now("follow-ups")
    platform.clock.advance(timedelta(hours=1))
    third = platform.record(platform.run("follow-ups"))

    # Only f-later came due in the meantime.
    assert [message.subject for message in platform.sent()].count(
        "Follow-up due: Ada Lovelace <ada@example.com>"
    ) == 2
    assert len(platform.sent()) == 3 and third.count_values()["reminders_sent"] == 1


def test_given_a_snoozed_follow_up_when_it_is_due_again_then_it_is_reminded_again(platform: Platform) -> None:
    seeded(platform)
    platform.run("follow-ups")

    platform.load({"follow_ups": [follow_up("f-call", "now+2h", note="Call about the pilot")]})
    platform.clock.advance(timedelta(hours=2))
    platform.run("follow-ups")

    assert len(platform.sent_to("ana@devsphere.example")) == 3  # f-call twice (two due times), f-later once


def test_given_a_rejected_owner_address_when_runs_keep_failing_then_it_is_retried_to_the_limit_and_parked(
    platform: Platform,
) -> None:
    seeded(platform)
    UserModel.new("u-bad", name="Broken", email="broken-address").save()
    platform.load(
        {"follow_ups": [{"id": "f-bad", "owner_id": "u-bad", "contact_id": "c-ada", "due_at": "now-1m"}]}
    )

    statuses = []
    for _ in range(5):
        run = platform.record(platform.run("follow-ups"))
        statuses.append((run.status, run.count_values()["failed"], run.count_values().get("items_parked", 0)))
        platform.clock.advance(timedelta(hours=1))

    # item_retry_limit is 3: the first attempt and three retries, then it is parked and left alone. The
    # other follow-ups go out meanwhile (f-later comes due in the second run).
    assert statuses == [
        ("PARTIAL", 1, 0),
        ("PARTIAL", 1, 0),
        ("FAILED", 1, 0),
        ("FAILED", 1, 1),
        ("SUCCEEDED", 0, 0),
    ]
    parked = get_one(FollowUpModel, "f-bad")
    assert parked is not None and parked.status == "failed" and parked.due_at is None
    assert parked.failures == 4 and "broken-address" in (parked.last_error or "")
    claim = get_one(SendClaimModel, "follow-up:f-bad:2026-11-28T08:59:00Z")
    assert claim is not None and claim.status == ClaimStatus.FAILED.value and claim.attempts == 4
    assert len(platform.sent()) == 3
