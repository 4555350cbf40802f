"""Storage of SES feedback: contacts found by address, and the ledger of feedback already acted on.

The ledger makes a feedback event's effect happen once: SES and EventBridge may deliver it more than once,
and a redelivery after an operator cleared a contact's flag must not set it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.update import Action

from functions.data import platform_store
from functions.data.errors import is_condition_failure, storage_errors
from functions.data.platform import ContactModel, EmailFeedbackModel, ListKey

# EventBridge retries for at most a day; the ledger outlives any redelivery with a wide margin.
FEEDBACK_RETENTION = timedelta(days=30)


def contacts_with_email(address: str) -> list[ContactModel]:
    """Every contact with this address (case-insensitive): two contacts may share one mailbox."""
    prefix = ContactModel.email_sort_key(address, "")
    return platform_store.listed(ContactModel, ListKey.CONTACT_EMAIL.value, prefix, f"{prefix}~")


def mark_contact(contact: ContactModel, actions: Sequence[Action]) -> None:
    """Flags survive whatever else changed on the contact since it was read."""
    platform_store.force_update(contact, list(actions))


def already_handled(feedback_id: str) -> bool:
    return platform_store.get_one(EmailFeedbackModel, feedback_id) is not None


def record_handled(
    feedback_id: str,
    event_type: str,
    message_id: str,
    recipients: Sequence[str],
    contact_ids: Sequence[str],
    now: datetime,
) -> None:
    """Records the feedback as acted on; a concurrent delivery of the same feedback may have done so first."""
    record = EmailFeedbackModel.new(
        feedback_id,
        event_type=event_type,
        message_id=message_id,
        recipients=list(recipients),
        contact_ids=list(contact_ids),
        received_at=now,
        expires_at=now + FEEDBACK_RETENTION,
    )
    with storage_errors(f"recording feedback {feedback_id}"):
        try:
            record.save(condition=EmailFeedbackModel.pk.does_not_exist())
        except PynamoDBException as error:
            if not is_condition_failure(error):
                raise
