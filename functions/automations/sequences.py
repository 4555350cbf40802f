"""sequences: sends the next due step of every active enrollment.

An enrollment is due when it is active and its next_send_at has come. If its contact replied, unsubscribed
or bounced (or is gone), the enrollment stops with that reason and nothing is sent. Otherwise
step[current_step] is rendered with the contact's fields and sent; the enrollment then moves to the next
step, due after that step's delay, or completes after the last step. A recipient SES rejects marks the
contact bounced, so the next run stops the enrollment instead of trying again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from pynamodb.expressions.update import Action

from functions.automations.delivery import DeliveryRejected, compose
from functions.automations.items import Sends, act_on, due_records
from functions.automations.release import (
    ReleaseOutcome,
    Revival,
    UnknownItemKeyError,
    failed_not_parked,
    release,
    retry_detail,
)
from functions.data import platform_store
from functions.data.platform import (
    ContactModel,
    EnrollmentModel,
    EnrollmentStatus,
    SequenceModel,
    UserModel,
)
from functions.data.retry import Backoff
from functions.lifecycle.context import ItemScope, RunContext

PAGE_SIZE = 50
JOB = "sequences"
_KEY = re.compile(r"enrollment:(?P<id>[^:]+):step:(?P<step>\d+)")

# The placeholders a step's subject and body may use.
TEMPLATE_FIELDS = ("name", "first_name", "email", "company", "owner_name", "owner_email")


def work(run: RunContext, cursor: str | None, *, page_size: int = PAGE_SIZE) -> str | None:
    enrollments, next_cursor = due_records(run, cursor, EnrollmentModel, page_size)
    contacts = platform_store.get_many(ContactModel, [e.contact_id for e in enrollments])
    sequences = platform_store.get_many(SequenceModel, [e.sequence_id for e in enrollments])
    owners = platform_store.get_many(UserModel, [c.owner_id for c in contacts.values() if c.owner_id])
    for enrollment in enrollments:
        contact = contacts.get(enrollment.contact_id)
        act = partial(
            _act,
            run=run,
            enrollment=enrollment,
            contact=contact,
            sequence=sequences.get(enrollment.sequence_id),
            owner=owners.get(contact.owner_id or "") if contact else None,
        )
        key = item_key(enrollment.id, int(enrollment.current_step))
        act_on(run, key, enrollment, partial(_park, enrollment, run), act)
    return next_cursor


def _act(
    item: ItemScope,
    *,
    run: RunContext,
    enrollment: EnrollmentModel,
    contact: ContactModel | None,
    sequence: SequenceModel | None,
    owner: UserModel | None,
) -> None:
    reason = _stop_reason(contact, sequence)
    if contact is None or sequence is None or reason:
        _finish(enrollment, EnrollmentStatus.STOPPED, run.now(), reason)
        item.count("enrollments_stopped")
        item.skip(f"stopped: {reason}")
    elif int(enrollment.current_step) >= len(sequence.steps):
        # The sequence lost steps since this enrollment was scheduled: nothing is left to send.
        _finish(enrollment, EnrollmentStatus.COMPLETED, run.now(), None)
        item.count("enrollments_completed")
        item.skip("no step left to send")
    else:
        _send_step(run, item, enrollment, contact, sequence, owner)


def _stop_reason(contact: ContactModel | None, sequence: SequenceModel | None) -> str | None:
    if contact is None:
        return "contact not found"
    if contact.replied:
        return "contact replied"
    if contact.unsubscribed:
        return "contact unsubscribed"
    if contact.bounced:
        return "contact bounced"
    if sequence is None:
        return "sequence not found"
    return None


def contact_values(contact: ContactModel, owner: UserModel | None) -> dict[str, str | None]:
    return {
        "name": contact.name,
        "first_name": contact.name.split()[0] if contact.name.split() else contact.name,
        "email": contact.email,
        "company": contact.company,
        "owner_name": owner.name if owner else None,
        "owner_email": owner.email if owner else None,
    }


def _send_step(
    run: RunContext,
    item: ItemScope,
    enrollment: EnrollmentModel,
    contact: ContactModel,
    sequence: SequenceModel,
    owner: UserModel | None,
) -> None:
    step = int(enrollment.current_step)
    template = sequence.steps[step]
    email = compose(
        (contact.email,),
        template.subject,
        template.body,
        contact_values(contact, owner),
        reply_to=(owner.email,) if owner else (),
    )
    sends = Sends(run)
    try:
        sends.send(_claim_key(enrollment.id, step), email)
    except DeliveryRejected as rejected:
        if contact.email in rejected.addresses:
            platform_store.force_update(
                contact, [ContactModel.bounced.set(True), ContactModel.bounce_reason.set(str(rejected)[:500])]
            )
        raise
    if not sends.settle(item, "step", "enrollment", "steps_sent"):
        return
    _advance(run, item, enrollment, sequence)


def _advance(run: RunContext, item: ItemScope, enrollment: EnrollmentModel, sequence: SequenceModel) -> None:
    now = run.now()
    following = int(enrollment.current_step) + 1
    if following >= len(sequence.steps):
        progress = [
            EnrollmentModel.current_step.set(following),
            EnrollmentModel.last_sent_at.set(now),
            EnrollmentModel.failures.set(0),
            EnrollmentModel.last_error.remove(),
        ]
        _finish(enrollment, EnrollmentStatus.COMPLETED, now, None, progress)
        item.count("enrollments_completed")
        return
    next_at = now + timedelta(minutes=int(sequence.steps[following].delay_minutes))
    platform_store.update(
        enrollment,
        [
            EnrollmentModel.current_step.set(following),
            EnrollmentModel.next_send_at.set(next_at),
            EnrollmentModel.last_sent_at.set(now),
            EnrollmentModel.failures.set(0),
            EnrollmentModel.last_error.remove(),
            *EnrollmentModel.due_actions(next_at),
        ],
    )


def _finish(
    enrollment: EnrollmentModel,
    status: EnrollmentStatus,
    now: datetime,
    reason: str | None,
    extra: Sequence[Action] = (),
) -> None:
    actions = [
        EnrollmentModel.status.set(status.value),
        EnrollmentModel.finished_at.set(now),
        EnrollmentModel.stop_reason.set(reason) if reason else EnrollmentModel.stop_reason.remove(),
        *EnrollmentModel.due_actions(None),
        *extra,
    ]
    platform_store.update(enrollment, actions)


def _park(enrollment: EnrollmentModel, run: RunContext) -> None:
    platform_store.force_update(
        enrollment,
        [
            EnrollmentModel.status.set(EnrollmentStatus.FAILED.value),
            EnrollmentModel.finished_at.set(run.now()),
            *EnrollmentModel.due_actions(None),
        ],
    )


def item_key(enrollment_id: str, step: int) -> str:
    return f"enrollment:{enrollment_id}:step:{step}"


def _claim_key(enrollment_id: str, step: int) -> str:
    return f"sequence-step:{enrollment_id}:{step}"


@dataclass(frozen=True)
class EnrollmentItem:
    enrollment_id: str
    step: int


def parse_key(key: str) -> EnrollmentItem:
    """The enrollment and step in an item key of this job's runs."""
    match = _KEY.fullmatch(key)
    if match is None:
        raise UnknownItemKeyError(JOB, key)
    return EnrollmentItem(match["id"], int(match["step"]))


def release_parked(key: str, now: datetime, backoff: Backoff) -> ReleaseOutcome:
    """Puts a parked enrollment back to its step, due from `now`, unless it moved on since or its contact now
    must not be emailed (replied, unsubscribed, bounced)."""
    item = parse_key(key)

    def plan(enrollment: EnrollmentModel) -> Revival | str:
        step = int(enrollment.current_step)
        if step != item.step:
            return f"the enrollment is at step {step} now: not revived"
        claims = [_claim_key(enrollment.id, step)]
        if enrollment.status == EnrollmentStatus.ACTIVE.value:
            return failed_not_parked(enrollment, now, claims)
        if enrollment.status != EnrollmentStatus.FAILED.value:
            return f"the enrollment is {enrollment.status} now: not revived"
        contact = platform_store.get_one(ContactModel, enrollment.contact_id)
        sequence = platform_store.get_one(SequenceModel, enrollment.sequence_id)
        if reason := _stop_reason(contact, sequence):
            return f"{reason}: not revived"
        return Revival(
            due_at=now,
            detail=retry_detail(enrollment, parked=True),
            claims=claims,
            actions=[
                EnrollmentModel.status.set(EnrollmentStatus.ACTIVE.value),
                EnrollmentModel.finished_at.remove(),
                EnrollmentModel.next_send_at.set(now),
            ],
            condition=(EnrollmentModel.status == EnrollmentStatus.FAILED.value)
            & (EnrollmentModel.current_step == item.step),
        )

    return release(key, lambda: platform_store.get_one(EnrollmentModel, item.enrollment_id), plan, backoff)
