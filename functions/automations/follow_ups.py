"""follow-ups: reminds the owner of every open follow-up that came due, by email, and marks it reminded.

The reminder is claimed per follow-up and due time, so a follow-up snoozed to a new due time (a re-import) is
reminded again at that time, and never twice for the same one.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial

from functions.automations.delivery import compose
from functions.automations.items import (
    DEFAULT_TIMEZONE,
    MissingRecordError,
    Sends,
    act_on,
    due_records,
    local_time,
)
from functions.automations.release import (
    ReleaseOutcome,
    Revival,
    UnknownItemKeyError,
    failed_not_parked,
    release,
    retry_detail,
)
from functions.clock import isoformat
from functions.data import platform_store
from functions.data.platform import FollowUpModel, FollowUpStatus, UserModel
from functions.data.retry import Backoff
from functions.lifecycle.context import ItemScope, RunContext
from functions.settings import get_settings

PAGE_SIZE = 50
JOB = "follow-ups"
_KEY = re.compile(r"follow-up:(?P<id>[^:]+)")

SUBJECT = "Follow-up due: {related}"
BODY = """Hi {owner_name},

Your follow-up with {related} was due {due}.

Note: {note}

Open DevSphere to follow up: {portal}
"""


def work(run: RunContext, cursor: str | None, *, page_size: int = PAGE_SIZE) -> str | None:
    follow_ups, next_cursor = due_records(run, cursor, FollowUpModel, page_size)
    owners = platform_store.get_many(UserModel, [f.owner_id for f in follow_ups])
    for follow_up in follow_ups:
        remind = partial(_remind, run=run, follow_up=follow_up, owner=owners.get(follow_up.owner_id))
        act_on(run, item_key(follow_up.id), follow_up, partial(_park, follow_up), remind)
    return next_cursor


def _remind(item: ItemScope, *, run: RunContext, follow_up: FollowUpModel, owner: UserModel | None) -> None:
    if owner is None:
        raise MissingRecordError(f"owner '{follow_up.owner_id}' of follow-up '{follow_up.id}' not found")
    values = {
        "owner_name": owner.name,
        "related": follow_up.related_label,
        "due": local_time(follow_up.due_time, owner.timezone or DEFAULT_TIMEZONE),
        "note": follow_up.note or "(no note)",
        "portal": get_settings().portal_origin,
    }
    email = compose((owner.email,), SUBJECT, BODY, values)
    sends = Sends(run)
    sends.send(_claim_key(follow_up), email)
    if not sends.settle(item, "reminder", "follow-up", "reminders_sent"):
        return
    platform_store.update(
        follow_up,
        [
            FollowUpModel.status.set(FollowUpStatus.REMINDED.value),
            FollowUpModel.reminded_at.set(run.now()),
            FollowUpModel.failures.set(0),
            FollowUpModel.last_error.remove(),
            *FollowUpModel.due_actions(None),
        ],
    )


def _park(follow_up: FollowUpModel) -> None:
    platform_store.force_update(
        follow_up, [FollowUpModel.status.set(FollowUpStatus.FAILED.value), *FollowUpModel.due_actions(None)]
    )


def item_key(follow_up_id: str) -> str:
    return f"follow-up:{follow_up_id}"


def _claim_key(follow_up: FollowUpModel) -> str:
    # Per due time: a follow-up snoozed to a new time is reminded again.
    return f"follow-up:{follow_up.id}:{isoformat(follow_up.due_time)}"


def parse_key(key: str) -> str:
    """The follow-up id in an item key of this job's runs."""
    match = _KEY.fullmatch(key)
    if match is None:
        raise UnknownItemKeyError(JOB, key)
    return match["id"]


def release_parked(key: str, now: datetime, backoff: Backoff) -> ReleaseOutcome:
    """Puts a parked follow-up back in the queue from `now`, if it is still the one that was parked."""
    follow_up_id = parse_key(key)

    def plan(follow_up: FollowUpModel) -> Revival | str:
        claims = [_claim_key(follow_up)]
        if follow_up.status == FollowUpStatus.FAILED.value and follow_up.due_at is None:
            return Revival(
                due_at=now,
                detail=retry_detail(follow_up, parked=True),
                claims=claims,
                actions=[FollowUpModel.status.set(FollowUpStatus.OPEN.value)],
                condition=FollowUpModel.status == FollowUpStatus.FAILED.value,
            )
        if follow_up.status != FollowUpStatus.OPEN.value:
            return f"the follow-up is {follow_up.status} now: not revived"
        return failed_not_parked(follow_up, now, claims)

    return release(key, lambda: platform_store.get_one(FollowUpModel, follow_up_id), plan, backoff)
