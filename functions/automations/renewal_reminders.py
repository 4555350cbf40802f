"""renewal-reminders: emails the account owner and the customer contact when a renewal is N days away.

Which offsets are due is decided by calendar date in the subscription's time zone (see renewal_schedule).
Each of the two emails is claimed per (subscription, renewal date, offset, recipient), so a re-run sends
nothing again, a failure of one recipient retries only that one, and a moved renewal date gets its reminders
afresh.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from functions.automations.delivery import Email, compose
from functions.automations.items import Sends, act_on, due_records, in_days, unreadable
from functions.automations.release import (
    ReleaseOutcome,
    Revival,
    UnknownItemKeyError,
    failed_not_parked,
    release,
    retry_detail,
)
from functions.automations.renewal_schedule import due_offsets, local_date, next_reminder, renewal_day
from functions.data import platform_store
from functions.data.platform import ReminderAttribute, ReminderOutcome, SubscriptionModel, UserModel
from functions.data.platform_store import RecordChangedError
from functions.data.retry import Backoff
from functions.lifecycle.context import ItemScope, RunContext

PAGE_SIZE = 50
JOB = "renewal-reminders"
# "subscription:<id>:<renewal date>:<offset>d" for a reminder; "subscription:<id>" for an unreadable record.
_KEY = re.compile(r"subscription:(?P<id>[^:]+)(?::(?P<date>\d{4}-\d{2}-\d{2}):(?P<offset>\d+)d)?")
# Reminders kept from earlier renewal dates, for the record's history; the current date's are always kept.
EARLIER_REMINDERS_KEPT = 10
# Who each reminder goes to (one send claim each).
ROLES = ("owner", "customer")

OWNER_SUBJECT = "Renewal {days}: {customer}"
OWNER_BODY = """Hi {owner_name},

{customer} renews on {renewal_date} ({days}).

Customer contact: {contact_name} <{contact_email}>
"""
CUSTOMER_SUBJECT = "Your subscription renews on {renewal_date}"
CUSTOMER_BODY = """Hello {contact_name},

This is a reminder that the subscription for {customer} renews on {renewal_date} ({days}).

If anything should change before then, reply to this email and {owner_name} will help.
"""


def work(run: RunContext, cursor: str | None, *, page_size: int = PAGE_SIZE) -> str | None:
    subscriptions, next_cursor = due_records(run, cursor, SubscriptionModel, page_size)
    owners = platform_store.get_many(UserModel, [s.owner_id for s in subscriptions])
    for subscription in subscriptions:
        try:
            today = local_date(run.now(), subscription.timezone)
            due = due_offsets(subscription, today)
        except (ValueError, LookupError) as error:
            unreadable(run, subscription, error)
            continue
        if not due:
            # A stale index copy, or a renewal that passed unreminded: put the record where it belongs.
            with run.item(f"subscription:{subscription.id}:{subscription.renewal_date}") as item:
                with suppress(RecordChangedError):
                    _reschedule(subscription, [], run.now())
                item.skip("no reminder due")
            continue
        key = item_key(subscription.id, subscription.renewal_date, due[0])
        remind = partial(
            _remind,
            run=run,
            subscription=subscription,
            due=due,
            owner=owners.get(subscription.owner_id),
            today=today,
        )
        act_on(run, key, subscription, partial(_park, subscription, due, run), remind)
    return next_cursor


def _emails(
    subscription: SubscriptionModel, owner: UserModel | None, days_left: int
) -> dict[str, Email | None]:
    values = {
        "customer": subscription.customer,
        "contact_name": subscription.contact_name or subscription.customer,
        "contact_email": subscription.contact_email,
        "owner_name": owner.name if owner else "your account manager",
        "renewal_date": renewal_day(subscription).strftime("%a %d %b %Y"),
        "days": in_days(days_left),
    }
    reply_to = (owner.email,) if owner else ()
    return {
        "owner": compose((owner.email,), OWNER_SUBJECT, OWNER_BODY, values) if owner else None,
        "customer": compose((subscription.contact_email,), CUSTOMER_SUBJECT, CUSTOMER_BODY, values, reply_to),
    }


def _remind(
    item: ItemScope,
    *,
    run: RunContext,
    subscription: SubscriptionModel,
    due: list[int],
    owner: UserModel | None,
    today: date,
) -> None:
    offset = due[0]
    days_left = (renewal_day(subscription) - today).days
    sends = Sends(run)
    for role, email in _emails(subscription, owner, days_left).items():
        if email is None:
            sends.problems.append(f"{role}: user '{subscription.owner_id}' not found")
            continue
        sends.send(_claim_key(subscription, offset, role), email, role)
    if not sends.settle(item, "reminder", "subscription", "reminders_sent"):
        return
    _reschedule(subscription, _handled(subscription, due, ReminderOutcome.SENT, run.now()), run.now())


def _handled(
    subscription: SubscriptionModel,
    due: list[int],
    outcome: ReminderOutcome,
    now: datetime,
    detail: str | None = None,
) -> list[ReminderAttribute]:
    """The nearest due offset gets `outcome`; farther ones that came due with it are superseded by it."""
    return [
        ReminderAttribute(
            renewal_date=subscription.renewal_date,
            offset=offset,
            outcome=(outcome if offset == due[0] else ReminderOutcome.SUPERSEDED).value,
            at=now,
            detail=detail if offset == due[0] else None,
        )
        for offset in due
    ]


def _reschedule(
    subscription: SubscriptionModel,
    entries: list[ReminderAttribute],
    now: datetime,
    *,
    after_failure: bool = False,
) -> None:
    current = [e for e in subscription.reminders if e.renewal_date == subscription.renewal_date]
    earlier = [e for e in subscription.reminders if e.renewal_date != subscription.renewal_date]
    subscription.reminders = [*earlier[-EARLIER_REMINDERS_KEPT:], *current, *entries]
    day, at = next_reminder(subscription, now)
    actions = [
        SubscriptionModel.reminders.set(subscription.reminders),
        SubscriptionModel.next_reminder_on.set(day.isoformat())
        if day
        else SubscriptionModel.next_reminder_on.remove(),
        SubscriptionModel.failures.set(0),
        *SubscriptionModel.due_actions(at),
    ]
    if after_failure:
        # The failure stays readable on the record (last_error) while the next offset is scheduled.
        platform_store.force_update(subscription, actions)
    else:
        platform_store.update(subscription, [*actions, SubscriptionModel.last_error.remove()])


def _park(subscription: SubscriptionModel, due: list[int], run: RunContext) -> None:
    entries = _handled(subscription, due, ReminderOutcome.FAILED, run.now(), subscription.last_error)
    _reschedule(subscription, entries, run.now(), after_failure=True)


def _claim_key(subscription: SubscriptionModel, offset: int, role: str) -> str:
    return f"renewal:{subscription.id}:{subscription.renewal_date}:{offset}:{role}"


def item_key(subscription_id: str, renewal_date: str, offset: int) -> str:
    return f"subscription:{subscription_id}:{renewal_date}:{offset}d"


@dataclass(frozen=True)
class ReminderItem:
    subscription_id: str
    # None for an item that failed before any reminder could be planned (an unreadable record).
    renewal_date: str | None
    offset: int | None


def parse_key(key: str) -> ReminderItem:
    """The subscription, renewal date and offset in an item key of this job's runs."""
    match = _KEY.fullmatch(key)
    if match is None:
        raise UnknownItemKeyError(JOB, key)
    offset = int(match["offset"]) if match["offset"] is not None else None
    return ReminderItem(match["id"], match["date"], offset)


def release_parked(key: str, now: datetime, backoff: Backoff) -> ReleaseOutcome:
    """Lets the next run send a reminder that failed for good, if its renewal date is unchanged and still
    ahead; the superseded farther reminders of the same attempt come back with it."""
    item = parse_key(key)

    def plan(subscription: SubscriptionModel) -> Revival | str:
        if item.renewal_date is None:
            return _plan_unreadable(subscription, now)
        if subscription.renewal_date != item.renewal_date:
            return f"the renewal date moved to {subscription.renewal_date}: not revived"
        try:
            today = local_date(now, subscription.timezone)
        except (ValueError, LookupError):
            return _plan_unreadable(subscription, now)
        if renewal_day(subscription) <= today:
            return "the renewal date has come: nothing left to remind"
        current = [e for e in subscription.reminders if e.renewal_date == item.renewal_date]
        failed = next(
            (e for e in current if int(e.offset) == item.offset and e.outcome == ReminderOutcome.FAILED),
            None,
        )
        claims = [_claim_key(subscription, int(item.offset or 0), role) for role in ROLES]
        if failed is None:
            if any(int(e.offset) == item.offset for e in current):
                return "the reminder was handled since: not revived"
            return failed_not_parked(subscription, now, claims)
        kept = [
            e
            for e in subscription.reminders
            if e.renewal_date != item.renewal_date
            or not (e is failed or (e.outcome == ReminderOutcome.SUPERSEDED.value and e.at == failed.at))
        ]
        return Revival(
            due_at=now,
            detail=retry_detail(subscription, parked=True),
            claims=claims,
            actions=[
                SubscriptionModel.reminders.set(kept),
                SubscriptionModel.next_reminder_on.set(today.isoformat()),
            ],
        )

    def load() -> SubscriptionModel | None:
        return platform_store.get_one(SubscriptionModel, item.subscription_id)

    return release(key, load, plan, backoff)


def _plan_unreadable(subscription: SubscriptionModel, now: datetime) -> Revival | str:
    if subscription.due_at is None and subscription.failures:
        return Revival(due_at=now, detail=retry_detail(subscription, parked=True))
    return failed_not_parked(subscription, now, [])
