"""What an SES bounce or complaint does: the contacts at that address stop receiving sequence emails.

SES publishes a configuration set's events to EventBridge as `detail-type` "Email Bounced" or "Email
Complaint Received", with the SES event record as `detail` (eventType, mail, bounce or complaint). Only a
permanent bounce marks a contact bounced; a transient or undetermined one (a full mailbox, a greylisting
server) is SES's to retry and changes nothing. A complaint marks the contact unsubscribed, with what was
reported kept in complaint_reason. Either way the sequences job stops the contact's enrollments on its next
pass, as it does for a contact who unsubscribed.

Each event is acted on once (its SES feedbackId goes into a ledger), so a redelivered event cannot set again
a flag an operator cleared in between; a contact already flagged keeps its first reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pynamodb.expressions.update import Action

from functions.clock import parse_iso
from functions.data import platform_feedback
from functions.data.platform import ContactModel
from functions.data.platform_store import MAX_ERROR_TEXT

BOUNCED = "Email Bounced"
COMPLAINED = "Email Complaint Received"
FEEDBACK_DETAIL_TYPES = (BOUNCED, COMPLAINED)
PERMANENT = "Permanent"


class FeedbackKind(StrEnum):
    BOUNCE = "Bounce"
    COMPLAINT = "Complaint"


class FeedbackFormatError(ValueError):
    """The event is not an SES bounce or complaint this function can read."""


@dataclass(frozen=True)
class Feedback:
    kind: FeedbackKind
    feedback_id: str
    message_id: str
    recipients: tuple[str, ...]
    permanent: bool
    description: str  # e.g. "Permanent/General bounce: smtp; 550 5.1.1 user unknown"
    at: datetime


@dataclass
class FeedbackOutcome:
    feedback: Feedback
    marked: list[str] = field(default_factory=list)  # contact ids newly flagged
    already_flagged: list[str] = field(default_factory=list)
    unknown_recipients: list[str] = field(default_factory=list)  # no contact (an owner, a report recipient)
    duplicate: bool = False

    @property
    def ignored(self) -> bool:
        """A transient bounce: nothing to do."""
        return not self.feedback.permanent


def parse(event: dict[str, Any]) -> Feedback:
    """The feedback in an EventBridge event from SES; FeedbackFormatError for anything else."""
    detail = event.get("detail")
    if event.get("detail-type") not in FEEDBACK_DETAIL_TYPES or not isinstance(detail, dict):
        raise FeedbackFormatError(f"not an SES bounce or complaint event: {event.get('detail-type')!r}")
    try:
        kind = FeedbackKind(detail["eventType"])
        mail = detail["mail"]
        if kind is FeedbackKind.BOUNCE:
            body = detail["bounce"]
            listed = body["bouncedRecipients"]
            permanent = body["bounceType"] == PERMANENT
            diagnostic = "; ".join(
                str(recipient["diagnosticCode"]) for recipient in listed if recipient.get("diagnosticCode")
            )
            description = f"{body['bounceType']}/{body.get('bounceSubType', '')} bounce"
            description += f": {diagnostic}" if diagnostic else ""
        else:
            body = detail["complaint"]
            listed = body["complainedRecipients"]
            permanent = True
            reported = body.get("complaintFeedbackType") or body.get("complaintSubType") or "unspecified"
            description = f"complaint ({reported})"
        return Feedback(
            kind=kind,
            feedback_id=str(body["feedbackId"]),
            message_id=str(mail["messageId"]),
            recipients=tuple(str(recipient["emailAddress"]).strip().lower() for recipient in listed),
            permanent=permanent,
            description=description,
            at=parse_iso(str(body["timestamp"])),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise FeedbackFormatError(f"unreadable SES {detail.get('eventType')} event: {error!r}") from error


def _flagged(contact: ContactModel, kind: FeedbackKind) -> bool:
    return bool(contact.bounced if kind is FeedbackKind.BOUNCE else contact.unsubscribed)


def _actions(feedback: Feedback) -> list[Action]:
    reason = (
        f"{feedback.description} at {feedback.at:%Y-%m-%d %H:%M} UTC (SES message {feedback.message_id})"
    )[:MAX_ERROR_TEXT]
    if feedback.kind is FeedbackKind.BOUNCE:
        return [ContactModel.bounced.set(True), ContactModel.bounce_reason.set(reason)]
    return [ContactModel.unsubscribed.set(True), ContactModel.complaint_reason.set(reason)]


def apply(feedback: Feedback, now: datetime) -> FeedbackOutcome:
    outcome = FeedbackOutcome(feedback)
    if not feedback.permanent:
        return outcome
    if platform_feedback.already_handled(feedback.feedback_id):
        outcome.duplicate = True
        return outcome
    for address in feedback.recipients:
        contacts = platform_feedback.contacts_with_email(address)
        if not contacts:
            outcome.unknown_recipients.append(address)
        for contact in contacts:
            if _flagged(contact, feedback.kind):
                outcome.already_flagged.append(contact.id)
                continue
            platform_feedback.mark_contact(contact, _actions(feedback))
            outcome.marked.append(contact.id)
    # Recorded after the contacts: a crash in between leaves the event to be retried, not lost.
    platform_feedback.record_handled(
        feedback.feedback_id,
        feedback.kind.value,
        feedback.message_id,
        feedback.recipients,
        outcome.marked,
        now,
    )
    return outcome
