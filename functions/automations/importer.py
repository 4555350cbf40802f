"""Loads platform data from a JSON file (format: docs/platform-data.md).

    python -m functions.automations.importer FILE.json

Every record is validated on its own and against the records it names (in the file, or already stored). A bad
record is reported with its kind, position, id and what is wrong; every valid record is written. Re-importing
is safe: records are upserted, fields a job maintains are kept unless the file sets them, and the send claims
make sure nothing that was already sent goes out again. Each record is put in the due index where it belongs,
so the jobs find it by key.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from functions.automations.cadence import WEEKDAYS, Cadence
from functions.automations.import_schema import (
    ContactRecord,
    DealRecord,
    EnrollmentRecord,
    FollowUpRecord,
    ImportRecord,
    ReportRecord,
    SequenceRecord,
    SubscriptionRecord,
    UserRecord,
)
from functions.automations.items import DEFAULT_TIMEZONE
from functions.automations.renewal_schedule import DEFAULT_OFFSETS, schedule
from functions.clock import SYSTEM_CLOCK, Clock
from functions.data import platform_store
from functions.data.errors import DataError
from functions.data.platform import (
    ContactModel,
    DealModel,
    EnrollmentModel,
    EnrollmentStatus,
    FollowUpModel,
    FollowUpStatus,
    ListKey,
    PlatformRecord,
    ReportModel,
    ReportStatus,
    SequenceModel,
    StepAttribute,
    SubscriptionModel,
    UserModel,
)

_Item = TypeVar("_Item", bound=PlatformRecord)

FORMAT_VERSION = 1
# The demo data set: times relative to the import, so it has due work whenever it is loaded.
SAMPLE_DATA = Path(__file__).with_name("sample_data.json")


class _InvalidRecordError(ValueError):
    pass


@dataclass(frozen=True)
class RecordError:
    kind: str
    index: int | None
    record_id: str | None
    message: str

    def __str__(self) -> str:
        where = self.kind if self.index is None else f"{self.kind}[{self.index}]"
        if self.record_id is not None:
            where += f" (id {self.record_id!r})"
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    imported: dict[str, int] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        counts = ", ".join(f"{kind} {count}" for kind, count in self.imported.items() if count)
        lines = [f"imported: {counts or 'nothing'}"]
        if self.errors:
            lines.append(f"{len(self.errors)} record(s) rejected:")
            lines.extend(f"  {error}" for error in self.errors)
        return "\n".join(lines)


class _Import:
    """One import in progress: the file's valid records, what is stored, and the records built so far."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.stored: dict[type[PlatformRecord], dict[str, PlatformRecord]] = {}
        self.built: dict[type[PlatformRecord], dict[str, PlatformRecord]] = {}

    def find(self, model: type[_Item], record_id: str) -> _Item | None:
        """A record this import wrote or, failing that (absent or invalid in the file), the stored one."""
        found = self.built.get(model, {}).get(record_id) or self.stored.get(model, {}).get(record_id)
        return found if isinstance(found, model) else None

    def require(self, model: type[_Item], record_id: str, what: str) -> _Item:
        found = self.find(model, record_id)
        if found is None:
            raise _InvalidRecordError(f"{what} {record_id!r} is neither valid in this file nor stored")
        return found


def _user(batch: _Import, record: UserRecord, user: UserModel) -> None:
    user.name, user.email, user.timezone = record.name, record.email, record.timezone


def _contact(batch: _Import, record: ContactRecord, contact: ContactModel) -> None:
    if record.owner_id is not None:
        batch.require(UserModel, record.owner_id, "owner")
    contact.email, contact.name = record.email, record.name
    contact.company, contact.owner_id = record.company, record.owner_id
    for flag in ("unsubscribed", "bounced", "replied"):
        if getattr(record, flag) is not None:
            setattr(contact, flag, getattr(record, flag))
    if not contact.bounced:
        contact.bounce_reason = None
    if not contact.unsubscribed:
        contact.complaint_reason = None
    contact.list_key = ListKey.CONTACT_EMAIL.value
    contact.list_sort = ContactModel.email_sort_key(contact.email, contact.id)


def _deal(batch: _Import, record: DealRecord, deal: DealModel) -> None:
    batch.require(UserModel, record.owner_id, "owner")
    deal.name, deal.stage, deal.owner_id = record.name, record.stage, record.owner_id
    deal.amount = float(record.amount)
    deal.close_date = record.close_date.isoformat() if record.close_date else None
    deal.list_key = ListKey.DEAL.value
    deal.list_sort = f"{deal.close_date or '9999-12-31'}#{deal.id}"


def _sequence(batch: _Import, record: SequenceRecord, sequence: SequenceModel) -> None:
    sequence.name = record.name
    sequence.steps = [
        StepAttribute(delay_minutes=step.delay_minutes, subject=step.subject, body=step.body)
        for step in record.steps
    ]


def _enrollment(batch: _Import, record: EnrollmentRecord, enrollment: EnrollmentModel) -> None:
    batch.require(ContactModel, record.contact_id, "contact")
    sequence = batch.require(SequenceModel, record.sequence_id, "sequence")
    was_active = enrollment.status == EnrollmentStatus.ACTIVE.value and enrollment.next_send_at is not None
    enrollment.contact_id, enrollment.sequence_id = record.contact_id, record.sequence_id
    if record.status is not None:
        enrollment.status = record.status
    if record.current_step is not None:
        enrollment.current_step = record.current_step
    if enrollment.status != EnrollmentStatus.ACTIVE.value:
        enrollment.set_due(None)
        return
    step = int(enrollment.current_step)
    if step >= len(sequence.steps):
        raise _InvalidRecordError(
            f"current_step {step} is past the last step of sequence {sequence.id!r} "
            f"({len(sequence.steps)} steps, counted from 0)"
        )
    if record.next_send_at is not None:
        enrollment.next_send_at = record.next_send_at
    elif not was_active:
        enrollment.next_send_at = batch.now + timedelta(minutes=int(sequence.steps[step].delay_minutes))
    if not was_active:
        # (Re)activated: earlier failures and the reason it stopped no longer apply.
        enrollment.failures, enrollment.last_error = 0, None
        enrollment.stop_reason, enrollment.finished_at = None, None
    enrollment.set_due(enrollment.next_send_at)


def _follow_up(batch: _Import, record: FollowUpRecord, follow_up: FollowUpModel) -> None:
    batch.require(UserModel, record.owner_id, "owner")
    if record.contact_id is not None:
        contact = batch.require(ContactModel, record.contact_id, "contact")
        follow_up.related_label = f"{contact.name} <{contact.email}>"
    elif record.deal_id is not None:
        deal = batch.require(DealModel, record.deal_id, "deal")
        follow_up.related_label = f"deal {deal.name}"
    # A new due time (snoozed) is a new reminder; the same one keeps whatever the job did with it.
    moved = follow_up.due_time != record.due_at
    follow_up.owner_id, follow_up.note, follow_up.due_time = record.owner_id, record.note, record.due_at
    follow_up.contact_id, follow_up.deal_id = record.contact_id, record.deal_id
    if record.status is not None:
        follow_up.status = record.status
    elif moved:
        follow_up.status = FollowUpStatus.OPEN.value
    if moved:
        follow_up.failures, follow_up.last_error = 0, None
    follow_up.set_due(follow_up.due_time if follow_up.status == FollowUpStatus.OPEN.value else None)


def _subscription(batch: _Import, record: SubscriptionRecord, subscription: SubscriptionModel) -> None:
    owner = batch.require(UserModel, record.owner_id, "owner")
    renewal_date = record.renewal_date.isoformat()
    if subscription.renewal_date != renewal_date:
        subscription.failures, subscription.last_error = 0, None
    subscription.customer, subscription.owner_id = record.customer, record.owner_id
    subscription.contact_email, subscription.contact_name = record.contact_email, record.contact_name
    subscription.renewal_date = renewal_date
    subscription.timezone = record.timezone or owner.timezone or DEFAULT_TIMEZONE
    if record.reminder_offsets is not None:
        subscription.reminder_offsets = sorted(record.reminder_offsets, reverse=True)
    elif not subscription.reminder_offsets:
        subscription.reminder_offsets = list(DEFAULT_OFFSETS)
    subscription.list_key = ListKey.SUBSCRIPTION.value
    subscription.list_sort = f"{renewal_date}#{subscription.id}"
    schedule(subscription, batch.now)


def _report(batch: _Import, record: ReportRecord, report: ReportModel) -> None:
    cadence_before = Cadence.of(report) if report.frequency else None
    was_active = cadence_before is not None and report.status == ReportStatus.ACTIVE.value
    report.name, report.report_type, report.frequency = record.name, record.type, record.frequency
    report.timezone, report.hour, report.day_of_month = record.timezone, record.hour, record.day_of_month
    report.weekday = WEEKDAYS.index(record.weekday)
    report.recipients = list(record.recipients)
    if record.status is not None:
        report.status = record.status
    cadence = Cadence.of(report)
    if record.next_due_at is not None:
        report.next_due_at = record.next_due_at
    elif (
        report.next_due_at is None
        or cadence != cadence_before
        # Resumed after a pause: the periods it missed are not sent late.
        or (not was_active and report.next_due_at <= batch.now)
    ):
        report.next_due_at = cadence.next_due_after(batch.now)
    report.set_due(report.next_due_at if report.status == ReportStatus.ACTIVE.value else None)


@dataclass(frozen=True)
class _Kind:
    schema: type[ImportRecord]
    model: type[PlatformRecord]
    build: Callable[[_Import, Any, Any], None]
    # Which other kinds this kind's records name, by field: looked up in the file, then in the table.
    references: dict[str, type[PlatformRecord]] = field(default_factory=dict)


# In dependency order: a record is built after every kind it may name.
KINDS: dict[str, _Kind] = {
    "users": _Kind(UserRecord, UserModel, _user),
    "contacts": _Kind(ContactRecord, ContactModel, _contact, {"owner_id": UserModel}),
    "deals": _Kind(DealRecord, DealModel, _deal, {"owner_id": UserModel}),
    "sequences": _Kind(SequenceRecord, SequenceModel, _sequence),
    "enrollments": _Kind(
        EnrollmentRecord,
        EnrollmentModel,
        _enrollment,
        {"contact_id": ContactModel, "sequence_id": SequenceModel},
    ),
    "follow_ups": _Kind(
        FollowUpRecord,
        FollowUpModel,
        _follow_up,
        {"owner_id": UserModel, "contact_id": ContactModel, "deal_id": DealModel},
    ),
    "subscriptions": _Kind(SubscriptionRecord, SubscriptionModel, _subscription, {"owner_id": UserModel}),
    "reports": _Kind(ReportRecord, ReportModel, _report),
}


def _describe(error: ValidationError) -> str:
    parts = []
    for detail in error.errors():
        location = ".".join(str(part) for part in detail["loc"])
        message = str(detail["msg"]).removeprefix("Value error, ")
        parts.append(f"{location}: {message}" if location else message)
    return "; ".join(parts)


def _validate(data: Any, now: datetime, errors: list[RecordError]) -> dict[str, list[tuple[int, Any]]]:
    """The file's records that are valid on their own, per kind, with their positions in the file."""
    if not isinstance(data, dict):
        errors.append(
            RecordError("file", None, None, "expected a JSON object with lists of records per kind")
        )
        return {}
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        errors.append(RecordError("version", None, None, f"unsupported format version {version!r}"))
        return {}
    for key in sorted(set(data) - set(KINDS) - {"version"}):
        errors.append(RecordError(key, None, None, f"unknown kind; expected one of {', '.join(KINDS)}"))
    valid: dict[str, list[tuple[int, Any]]] = {}
    for kind, spec in KINDS.items():
        raw_records = data.get(kind, [])
        if not isinstance(raw_records, list):
            errors.append(RecordError(kind, None, None, "expected a list of records"))
            continue
        seen: set[str] = set()
        valid[kind] = []
        for index, raw in enumerate(raw_records):
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            record_id = raw_id if isinstance(raw_id, str) else None
            try:
                record = spec.schema.model_validate(raw, context={"now": now})
            except ValidationError as error:
                errors.append(RecordError(kind, index, record_id, _describe(error)))
                continue
            if record.id in seen:
                errors.append(RecordError(kind, index, record_id, "the same id appears earlier in this file"))
                continue
            seen.add(record.id)
            valid[kind].append((index, record))
    return valid


def _ids_to_read(valid: dict[str, list[tuple[int, Any]]]) -> dict[type[PlatformRecord], set[str]]:
    """Per model: the file's own ids (to merge with) and every id the file's records name."""
    wanted: dict[type[PlatformRecord], set[str]] = {spec.model: set() for spec in KINDS.values()}
    for kind, records in valid.items():
        spec = KINDS[kind]
        for _, record in records:
            wanted[spec.model].add(record.id)
            for name, model in spec.references.items():
                if getattr(record, name) is not None:
                    wanted[model].add(getattr(record, name))
    return wanted


def import_records(data: Any, *, clock: Clock = SYSTEM_CLOCK) -> ImportResult:
    """Validates every record of `data` (the parsed JSON file) and writes the valid ones."""
    now = clock.now()
    result = ImportResult()
    valid = _validate(data, now, result.errors)
    batch = _Import(now)
    batch.stored = {model: platform_store.get_many(model, ids) for model, ids in _ids_to_read(valid).items()}
    for kind, records in valid.items():
        spec = KINDS[kind]
        built = batch.built.setdefault(spec.model, {})
        for index, record in records:
            stored = batch.stored[spec.model].get(record.id)
            # Built on a copy: a record rejected halfway leaves the stored one intact for others to name.
            item = spec.model.from_raw_data(stored.serialize()) if stored else spec.model.new(record.id)
            try:
                spec.build(batch, record, item)
            except _InvalidRecordError as error:
                result.errors.append(RecordError(kind, index, record.id, str(error)))
                continue
            item.version = int(item.version or 0) + 1
            built[record.id] = item
        result.imported[kind] = len(built)
    platform_store.save_all(_all(batch.built.values()))
    return result


def _all(groups: Iterable[dict[str, PlatformRecord]]) -> list[PlatformRecord]:
    return [item for group in groups for item in group.values()]


def import_file(path: Path, *, clock: Clock = SYSTEM_CLOCK) -> ImportResult:
    return import_records(json.loads(path.read_text(encoding="utf-8")), clock=clock)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import platform data (docs/platform-data.md).")
    parser.add_argument("file", type=Path, help="the JSON file to import")
    arguments = parser.parse_args(argv)
    try:
        result = import_file(arguments.file)
    except (OSError, json.JSONDecodeError) as error:
        print(f"cannot read {arguments.file}: {error}", file=sys.stderr)
        return 2
    except DataError as error:
        print(f"import failed: {error}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
