"""Which renewal reminder is due when, by calendar date in the subscription's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from functions.automations.renewal_schedule import due_offsets, next_reminder
from functions.data.platform import ReminderAttribute, SubscriptionModel


def subscription(
    renewal: str, timezone: str = "Europe/London", handled: tuple[int, ...] = ()
) -> SubscriptionModel:
    return SubscriptionModel.new(
        "s",
        renewal_date=renewal,
        reminder_offsets=[30, 14, 7, 1],
        timezone=timezone,
        reminders=[
            ReminderAttribute(
                renewal_date=renewal, offset=o, outcome="sent", at=datetime(2026, 1, 1, tzinfo=UTC)
            )
            for o in handled
        ],
    )


def test_given_a_renewal_30_days_away_when_checked_then_the_30_day_reminder_is_due() -> None:
    assert due_offsets(subscription("2026-12-28"), date(2026, 11, 28)) == [30]


def test_given_missed_days_when_checked_then_every_unhandled_offset_whose_day_came_is_due_nearest_first() -> (
    None
):
    assert due_offsets(subscription("2026-12-28", handled=(30,)), date(2026, 12, 22)) == [7, 14]


def test_given_the_renewal_day_when_checked_then_nothing_is_due_any_more() -> None:
    assert due_offsets(subscription("2026-12-28"), date(2026, 12, 28)) == []


def test_given_handled_offsets_when_the_next_reminder_is_computed_then_it_is_local_midnight_of_its_day() -> (
    None
):
    day, at = next_reminder(
        subscription("2027-04-02", "America/New_York", handled=(30,)), datetime(2027, 3, 3, 9, tzinfo=UTC)
    )

    assert day == date(2027, 3, 19)
    assert at == datetime(2027, 3, 19, 4, 0, tzinfo=UTC)  # midnight EDT (New York's clocks moved on 03-14)


def test_given_a_reminder_for_an_earlier_renewal_date_when_computed_then_the_new_date_starts_afresh() -> None:
    moved = subscription("2027-01-28", handled=())
    moved.reminders = [
        ReminderAttribute(
            renewal_date="2026-12-28", offset=30, outcome="sent", at=datetime(2026, 11, 28, tzinfo=UTC)
        )
    ]

    assert next_reminder(moved, datetime(2026, 11, 29, 9, tzinfo=UTC))[0] == date(2026, 12, 29)


def test_given_every_offset_handled_when_computed_then_no_reminder_remains() -> None:
    done = subscription("2026-12-28", handled=(30, 14, 7, 1))

    assert next_reminder(done, datetime(2026, 12, 27, 9, tzinfo=UTC)) == (None, None)


def test_given_an_offset_added_after_a_nearer_reminder_went_out_when_checked_then_it_is_not_sent_late() -> (
    None
):
    widened = subscription("2026-12-28", handled=(14,))
    widened.reminder_offsets = [60, 30, 14, 7, 1]

    assert due_offsets(widened, date(2026, 12, 16)) == []
    assert next_reminder(widened, datetime(2026, 12, 16, 9, tzinfo=UTC))[0] == date(2026, 12, 21)
