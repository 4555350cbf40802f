"""renewal-reminders: owner and customer are reminded 30, 14, 7 and 1 days out, once each, by local date."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from functions.catalog import get_job
from functions.data.platform import SubscriptionModel
from functions.data.platform_store import get_one
from tests.integration.jobs.job_harness import Platform, owner

LONDON = ZoneInfo("Europe/London")


def subscription(sub_id: str, renewal: str, contact_email: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": sub_id,
        "customer": f"{sub_id.title()} Ltd",
        "owner_id": "u-ana",
        "contact_email": contact_email,
        "contact_name": "Pat Buyer",
        "renewal_date": renewal,
        **extra,
    }


def run_daily(platform: Platform, until: datetime) -> dict[date, list[tuple[str, str]]]:
    """Runs the job at every tick of its schedule (08:00 London) up to `until`; what each day sent."""
    schedule = get_job("renewal-reminders").schedule
    sent: dict[date, list[tuple[str, str]]] = defaultdict(list)
    while True:
        tick = schedule.next_after(platform.clock.now())
        assert tick is not None
        if tick > until:
            return sent
        platform.clock.set(tick)
        before = len(platform.sent())
        run = platform.record(platform.run("renewal-reminders"))
        assert run.status == "SUCCEEDED", run.item_error_values()
        for message in platform.sent()[before:]:
            sent[tick.astimezone(LONDON).date()].append(
                (message.destinations["ToAddresses"][0], message.subject)
            )


def test_given_renewals_across_a_month_end_and_dst_when_the_job_runs_daily_then_each_offset_is_sent_once(
    platform: Platform,
) -> None:
    platform.clock.set(datetime(2027, 2, 1, 7, 0, tzinfo=UTC))
    platform.load(
        {
            "users": [owner(timezone="Europe/London")],
            "subscriptions": [
                # London: Europe's clocks go forward on 2027-03-28, between the 7- and 1-day reminders.
                subscription("acme", "2027-04-02", "buyer@acme.example"),
                # New York: its clocks go forward on 2027-03-14; the reminders cross February's end.
                subscription("globex", "2027-03-20", "buyer@globex.example", timezone="America/New_York"),
                # Pago Pago (UTC-11) is still on the previous day when the job runs at 08:00 London.
                subscription("initech", "2027-03-10", "buyer@initech.example", timezone="Pacific/Pago_Pago"),
            ],
        }
    )

    sent = run_daily(platform, datetime(2027, 4, 5, 12, 0, tzinfo=UTC))

    def days_of(address: str) -> list[tuple[date, str]]:
        return [
            (day, subject)
            for day, messages in sorted(sent.items())
            for to, subject in messages
            if to == address
        ]

    assert days_of("buyer@acme.example") == [
        (date(2027, 3, 3), "Your subscription renews on Fri 02 Apr 2027"),
        (date(2027, 3, 19), "Your subscription renews on Fri 02 Apr 2027"),
        (date(2027, 3, 26), "Your subscription renews on Fri 02 Apr 2027"),
        (date(2027, 4, 1), "Your subscription renews on Fri 02 Apr 2027"),
    ]
    owner_subjects = [subject for day, subject in days_of("ana@devsphere.example") if "Acme" in subject]
    assert owner_subjects == [
        "Renewal in 30 days: Acme Ltd",
        "Renewal in 14 days: Acme Ltd",
        "Renewal in 7 days: Acme Ltd",
        "Renewal in 1 day: Acme Ltd",
    ]
    assert [day for day, _ in days_of("buyer@globex.example")] == [
        date(2027, 2, 18),
        date(2027, 3, 6),
        date(2027, 3, 13),
        date(2027, 3, 19),
    ]
    # Local dates 02-08, 02-24, 03-03 and 03-09 in Pago Pago are the next London day at 08:00.
    assert [day for day, _ in days_of("buyer@initech.example")] == [
        date(2027, 2, 9),
        date(2027, 2, 25),
        date(2027, 3, 4),
        date(2027, 3, 10),
    ]
    assert sum(len(messages) for messages in sent.values()) == 24
    acme = get_one(SubscriptionModel, "acme")
    assert acme is not None and acme.due_at is None and acme.next_reminder_on is None
    assert [(int(r.offset), r.outcome) for r in acme.reminders] == [
        (30, "sent"),
        (14, "sent"),
        (7, "sent"),
        (1, "sent"),
    ]


def test_given_a_reminder_sent_when_the_job_runs_again_the_same_day_then_nothing_more_is_sent(
    platform: Platform,
) -> None:
    platform.load(
        {"users": [owner()], "subscriptions": [subscription("acme", "today+30d", "buyer@acme.example")]}
    )

    first = platform.record(platform.run("renewal-reminders"))
    second = platform.record(platform.run_now("renewal-reminders"))

    assert first.count_values()["reminders_sent"] == 1 and first.count_values()["emails_sent"] == 2
    assert second.count_values()["processed"] == 0
    assert len(platform.sent()) == 2
    acme = get_one(SubscriptionModel, "acme")
    assert acme is not None and acme.next_reminder_on == "2026-12-14"  # the 14-day reminder


def test_given_a_renewal_that_moved_when_the_days_come_then_its_offsets_are_due_afresh(
    platform: Platform,
) -> None:
    platform.load(
        {"users": [owner()], "subscriptions": [subscription("acme", "2026-12-28", "buyer@acme.example")]}
    )
    platform.run("renewal-reminders")  # 30 days out: sent for 2026-12-28

    platform.load({"subscriptions": [subscription("acme", "2027-01-28", "buyer@acme.example")]})
    sent = run_daily(platform, datetime(2027, 1, 28, 12, 0, tzinfo=UTC))

    customer_days = [
        day for day, messages in sorted(sent.items()) for to, _ in messages if to == "buyer@acme.example"
    ]
    # Nothing for the old date's 14-day reminder (2026-12-14); the new date gets all four.
    assert customer_days == [date(2026, 12, 29), date(2027, 1, 14), date(2027, 1, 21), date(2027, 1, 27)]
    acme = get_one(SubscriptionModel, "acme")
    assert acme is not None
    assert [(r.renewal_date, int(r.offset)) for r in acme.reminders][:2] == [
        ("2026-12-28", 30),
        ("2027-01-28", 30),
    ]


def test_given_a_renewal_moved_closer_when_several_offsets_are_due_then_only_the_nearest_is_sent(
    platform: Platform,
) -> None:
    platform.load(
        {"users": [owner()], "subscriptions": [subscription("acme", "today+10d", "buyer@acme.example")]}
    )

    run = platform.record(platform.run("renewal-reminders"))

    assert run.count_values()["reminders_sent"] == 1
    [to_owner] = platform.sent_to("ana@devsphere.example")
    assert to_owner.subject == "Renewal in 10 days: Acme Ltd"
    acme = get_one(SubscriptionModel, "acme")
    assert acme is not None
    assert sorted((int(r.offset), r.outcome) for r in acme.reminders) == [(14, "sent"), (30, "superseded")]
    assert acme.next_reminder_on == "2026-12-01"  # the 7-day reminder


def test_given_a_customer_address_rejected_when_the_job_runs_then_the_owner_is_not_sent_it_twice_on_retry(
    platform: Platform,
) -> None:
    platform.load(
        {
            "users": [owner()],
            "subscriptions": [
                subscription("acme", "today+30d", "buyer@acme.example"),
                subscription("bad", "today+30d", "buyer@bad.example"),
            ],
        }
    )
    bad = get_one(SubscriptionModel, "bad")
    assert bad is not None
    bad.update(actions=[SubscriptionModel.contact_email.set("no-domain")])

    first = platform.record(platform.run("renewal-reminders"))
    platform.clock.advance(timedelta(days=1))
    second = platform.record(platform.run("renewal-reminders"))

    assert first.status == "PARTIAL"
    [error] = first.item_error_values()
    assert (
        error["key"] == "subscription:bad:2026-12-28:30d" and "customer: DeliveryRejected" in error["reason"]
    )
    assert second.status == "FAILED" and second.count_values()["emails_sent"] == 0
    owner_subjects = [message.subject for message in platform.sent_to("ana@devsphere.example")]
    assert owner_subjects.count("Renewal in 30 days: Bad Ltd") == 1
    bad = get_one(SubscriptionModel, "bad")
    assert bad is not None and bad.failures == 2 and "no-domain" in (bad.last_error or "")


def test_given_a_subscription_with_a_broken_time_zone_when_the_job_runs_then_only_it_fails_until_parked(
    platform: Platform,
) -> None:
    platform.load(
        {
            "users": [owner()],
            "subscriptions": [
                subscription("acme", "today+30d", "buyer@acme.example"),
                subscription("broken", "today+30d", "buyer@broken.example"),
            ],
        }
    )
    broken = get_one(SubscriptionModel, "broken")
    assert broken is not None
    broken.update(actions=[SubscriptionModel.timezone.set("Mars/Olympus")])

    first = platform.record(platform.run("renewal-reminders"))
    for _ in range(3):
        platform.clock.advance(timedelta(days=1))
        platform.run("renewal-reminders")

    assert first.status == "PARTIAL" and first.count_values()["reminders_sent"] == 1
    [error] = first.item_error_values()
    assert error["key"] == "subscription:broken" and "Mars/Olympus" in error["reason"]
    parked = get_one(SubscriptionModel, "broken")
    assert parked is not None and parked.due_at is None and parked.failures == 4
    assert len(platform.sent()) == 2
