"""When a subscription's renewal reminders fall due, by calendar date in the subscription's time zone.

The reminder for offset N is due from the start of the day N days before the renewal date until the renewal
date. Each (renewal date, offset) is handled once: sent, failed for good, or superseded when a run finds
several offsets due together (after missed runs, or a record imported late) and sends only the nearest. A
moved renewal date has nothing handled yet, so its offsets are due afresh. The subscription sits in the due
index at the start of its next reminder day, recomputed after each reminder and on every import.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from functions.data.platform import SubscriptionModel

DEFAULT_OFFSETS = (30, 14, 7, 1)


def local_date(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def start_of_day(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def renewal_day(subscription: SubscriptionModel) -> date:
    return date.fromisoformat(subscription.renewal_date)


def handled_offsets(subscription: SubscriptionModel) -> set[int]:
    return {
        int(entry.offset)
        for entry in subscription.reminders
        if entry.renewal_date == subscription.renewal_date
    }


def _open_offsets(subscription: SubscriptionModel) -> list[int]:
    handled = handled_offsets(subscription)
    # An offset added after a nearer reminder went out is not sent late: the nearer one covered it.
    nearest = min(handled, default=None)
    return [
        int(offset)
        for offset in subscription.reminder_offsets
        if int(offset) not in handled and (nearest is None or int(offset) < nearest)
    ]


def due_offsets(subscription: SubscriptionModel, today: date) -> list[int]:
    """Unhandled offsets whose day has come, nearest first; none once the renewal day is here."""
    days_left = (renewal_day(subscription) - today).days
    if days_left <= 0:
        return []
    return sorted(offset for offset in _open_offsets(subscription) if offset >= days_left)


def next_reminder(subscription: SubscriptionModel, now: datetime) -> tuple[date | None, datetime | None]:
    """The day of the next reminder (today if one is overdue) and the instant it is due from; None if none."""
    today = local_date(now, subscription.timezone)
    renewal = renewal_day(subscription)
    if renewal <= today:
        return None, None
    days = [max(renewal - timedelta(days=offset), today) for offset in _open_offsets(subscription)]
    if not days:
        return None, None
    day = min(days)
    return day, start_of_day(day, subscription.timezone)


def schedule(subscription: SubscriptionModel, now: datetime) -> None:
    """Sets the record's next reminder day and due-index keys in memory (the importer saves it whole)."""
    day, at = next_reminder(subscription, now)
    subscription.next_reminder_on = day.isoformat() if day else None
    subscription.set_due(at)
