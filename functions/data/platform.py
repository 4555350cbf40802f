"""pynamodb models of the platform data the four automations act on; infra builds the table from PlatformItem.

One table (env PLATFORM_TABLE_NAME), one item kind per model, every item under `pk` = "<kind>#<id>" with the
kind in the `kind` discriminator. Two sparse global secondary indexes keep every job read key-based, so a run
reads about as many items as are due however large the table grows:

* ``due-index`` (due_bucket, due_at): an item is in it only while a job may act on it. ``due_bucket`` names
  the kind of work ("enrollment", "follow_up", "subscription", "report"); ``due_at`` is the UTC instant, as
  sortable ISO text, from which it is due. A run queries ``due_at <= now``; an item leaves the index (both
  attributes removed) when it is done, stopped or parked, and moves forward when its next step is later.
* ``list-index`` (list_key, list_sort): deals by close date and subscriptions by renewal date, for reports.

Send claims (platform_claims) live in the same table and expire through TTL on ``expires_at``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from functions.clock import isoformat, parse_iso
from functions.data.models import _region, _table_name

_T = TypeVar("_T", bound="PlatformItem")


class DueBucket(StrEnum):
    ENROLLMENT = "enrollment"
    FOLLOW_UP = "follow_up"
    SUBSCRIPTION = "subscription"
    REPORT = "report"


class ListKey(StrEnum):
    DEAL = "deal"
    SUBSCRIPTION = "subscription"
    # Contacts by lower-cased email address: SES feedback names an address, not a contact.
    CONTACT_EMAIL = "contact_email"


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    STOPPED = "stopped"
    FAILED = "failed"


class FollowUpStatus(StrEnum):
    OPEN = "open"
    REMINDED = "reminded"
    DONE = "done"
    FAILED = "failed"


class ReportType(StrEnum):
    PIPELINE_SUMMARY = "pipeline_summary"
    UPCOMING_RENEWALS = "upcoming_renewals"
    AUTOMATION_HEALTH = "automation_health"


class ReportStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class ReminderOutcome(StrEnum):
    SENT = "sent"
    # A larger offset whose day came while a smaller one was also due (a missed run): one reminder, not two.
    SUPERSEDED = "superseded"
    FAILED = "failed"


class DueIndex(GlobalSecondaryIndex["PlatformItem"]):
    class Meta:
        index_name = "due-index"
        projection = AllProjection()

    due_bucket = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class ListIndex(GlobalSecondaryIndex["PlatformItem"]):
    class Meta:
        index_name = "list-index"
        projection = AllProjection()

    list_key = UnicodeAttribute(hash_key=True)
    list_sort = UnicodeAttribute(range_key=True)


class PlatformItem(Model):
    """The table: keys and index attributes shared by every kind."""

    class Meta:
        table_name = _table_name("PLATFORM_TABLE_NAME", "platform")
        region = _region()
        billing_mode = "PAY_PER_REQUEST"

    pk = UnicodeAttribute(hash_key=True)
    kind = DiscriminatorAttribute()
    id = UnicodeAttribute()

    due_bucket = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    list_key = UnicodeAttribute(null=True)
    list_sort = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    due_index = DueIndex()
    list_index = ListIndex()

    @classmethod
    def key(cls, record_id: str) -> str:
        kind = cls._attributes["kind"].get_discriminator(cls)  # type: ignore[attr-defined]
        return f"{kind}#{record_id}"

    @classmethod
    def new(cls: type[_T], record_id: str, **attributes: Any) -> _T:
        return cls(cls.key(record_id), id=record_id, **attributes)


class PlatformRecord(PlatformItem):
    """Platform data proper (everything but send claims)."""

    # Optimistic locking: a job holding a copy read from an index (eventually consistent) can neither write
    # over a newer version of the record nor act on it (platform_store.begin_attempt).
    version = VersionAttribute()


class UserModel(PlatformRecord, discriminator="user"):
    """An owner: who follow-ups, deals and subscriptions belong to, and where their reminders go."""

    name = UnicodeAttribute()
    email = UnicodeAttribute()
    timezone = UnicodeAttribute(null=True)


class ContactModel(PlatformRecord, discriminator="contact"):
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    company = UnicodeAttribute(null=True)
    owner_id = UnicodeAttribute(null=True)
    unsubscribed = BooleanAttribute(default=False)
    bounced = BooleanAttribute(default=False)
    bounce_reason = UnicodeAttribute(null=True)
    replied = BooleanAttribute(default=False)
    # Set with unsubscribed when a recipient marks our email as spam: what they reported and when.
    complaint_reason = UnicodeAttribute(null=True)

    @staticmethod
    def email_sort_key(email: str, contact_id: str) -> str:
        return f"{email.lower()}#{contact_id}"


class EmailFeedbackModel(PlatformItem, discriminator="email_feedback"):
    """One SES bounce or complaint already acted on (id = SES feedbackId), so a redelivery changes nothing."""

    event_type = UnicodeAttribute()
    message_id = UnicodeAttribute()
    recipients = ListAttribute[Any](of=UnicodeAttribute, default=list)
    contact_ids = ListAttribute[Any](of=UnicodeAttribute, default=list)
    received_at = UTCDateTimeAttribute()


class StepAttribute(MapAttribute[str, Any]):
    delay_minutes = NumberAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute()


class SequenceModel(PlatformRecord, discriminator="sequence"):
    name = UnicodeAttribute()
    steps = ListAttribute(of=StepAttribute, default=list)


class DueRecord(PlatformRecord):
    """A record a job acts on: it carries its failed attempts so the next run retries it, up to a limit."""

    bucket: ClassVar[DueBucket]

    last_attempt_at = UTCDateTimeAttribute(null=True)
    last_attempt_run = UnicodeAttribute(null=True)
    failures = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    last_failed_at = UTCDateTimeAttribute(null=True)

    def set_due(self, at: datetime | None) -> None:
        """Puts the record in the due index from `at`, or takes it out (None): the index stays sparse."""
        self.due_bucket = self.bucket.value if at is not None else None
        self.due_at = isoformat(at) if at is not None else None

    def due_from(self) -> datetime:
        """When the record became due; only records read from the due index have one."""
        if self.due_at is None:
            raise ValueError(f"{self.pk} is not in the due index")
        return parse_iso(self.due_at)

    @classmethod
    def due_actions(cls, at: datetime | None) -> list[Action]:
        if at is None:
            return [cls.due_bucket.remove(), cls.due_at.remove()]
        return [cls.due_bucket.set(cls.bucket.value), cls.due_at.set(isoformat(at))]


class EnrollmentModel(DueRecord, discriminator="enrollment"):
    bucket = DueBucket.ENROLLMENT

    contact_id = UnicodeAttribute()
    sequence_id = UnicodeAttribute()
    current_step = NumberAttribute(default=0)
    next_send_at = UTCDateTimeAttribute(null=True)
    status = UnicodeAttribute(default=EnrollmentStatus.ACTIVE.value)
    stop_reason = UnicodeAttribute(null=True)
    last_sent_at = UTCDateTimeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)


class FollowUpModel(DueRecord, discriminator="follow_up"):
    bucket = DueBucket.FOLLOW_UP

    owner_id = UnicodeAttribute()
    contact_id = UnicodeAttribute(null=True)
    deal_id = UnicodeAttribute(null=True)
    # Resolved at import ("Ada Lovelace <ada@example.com>", "deal Acme renewal") so a reminder reads one item.
    related_label = UnicodeAttribute()
    due_time = UTCDateTimeAttribute()
    note = UnicodeAttribute(default="")
    status = UnicodeAttribute(default=FollowUpStatus.OPEN.value)
    reminded_at = UTCDateTimeAttribute(null=True)


class DealModel(PlatformRecord, discriminator="deal"):
    name = UnicodeAttribute()
    stage = UnicodeAttribute()
    amount = NumberAttribute(default=0)
    owner_id = UnicodeAttribute()
    close_date = UnicodeAttribute(null=True)  # YYYY-MM-DD


class ReminderAttribute(MapAttribute[str, Any]):
    renewal_date = UnicodeAttribute()
    offset = NumberAttribute()
    outcome = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    detail = UnicodeAttribute(null=True)


class SubscriptionModel(DueRecord, discriminator="subscription"):
    bucket = DueBucket.SUBSCRIPTION

    customer = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    contact_email = UnicodeAttribute()
    contact_name = UnicodeAttribute(null=True)
    renewal_date = UnicodeAttribute()  # YYYY-MM-DD, a calendar date in `timezone`
    reminder_offsets = ListAttribute[Any](of=NumberAttribute, default=list)
    timezone = UnicodeAttribute()
    # What happened to each offset of each renewal date; a moved renewal date starts a fresh set.
    reminders = ListAttribute(of=ReminderAttribute, default=list)
    next_reminder_on = UnicodeAttribute(null=True)


class ReportModel(DueRecord, discriminator="report"):
    bucket = DueBucket.REPORT

    name = UnicodeAttribute()
    report_type = UnicodeAttribute()
    frequency = UnicodeAttribute()
    timezone = UnicodeAttribute()
    hour = NumberAttribute(default=7)
    weekday = NumberAttribute(default=0)  # Monday = 0, for weekly reports
    day_of_month = NumberAttribute(default=1)  # for monthly reports
    recipients = ListAttribute[Any](of=UnicodeAttribute, default=list)
    status = UnicodeAttribute(default=ReportStatus.ACTIVE.value)
    next_due_at = UTCDateTimeAttribute(null=True)
    last_period = UnicodeAttribute(null=True)
    last_built_at = UTCDateTimeAttribute(null=True)
    last_report_key = UnicodeAttribute(null=True)
    failed_period = UnicodeAttribute(null=True)


class SendClaimModel(PlatformItem, discriminator="send_claim"):
    """One email's claim, written before it is sent so it is sent once (functions.automations.delivery)."""

    status = UnicodeAttribute()
    run_id = UnicodeAttribute()
    # Names one attempt, so only the attempt that holds the claim can settle it.
    token = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    claimed_at = UTCDateTimeAttribute()
    lease_until = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    released_by = UnicodeAttribute(null=True)
    released_at = UTCDateTimeAttribute(null=True)
    released_reason = UnicodeAttribute(null=True)
