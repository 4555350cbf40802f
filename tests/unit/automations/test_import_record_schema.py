"""Import records on their own: relative times against the import's clock, and the rules each kind obeys."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from functions.automations.import_schema import EnrollmentRecord, SequenceRecord, SubscriptionRecord

NOW = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("now+15m", datetime(2026, 11, 28, 23, 45, tzinfo=UTC)),
        ("now-2h", datetime(2026, 11, 28, 21, 30, tzinfo=UTC)),
        ("now + 3d", datetime(2026, 12, 1, 23, 30, tzinfo=UTC)),
        ("2026-12-01T09:00:00+01:00", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_given_a_time_when_validated_then_relative_ones_count_from_the_import(
    text: str, expected: datetime
) -> None:
    record = EnrollmentRecord.model_validate(
        {"id": "e", "contact_id": "c", "sequence_id": "s", "next_send_at": text}, context={"now": NOW}
    )

    assert record.next_send_at == expected


def test_given_a_time_without_a_zone_when_validated_then_it_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValidationError, match="not an ISO 8601 time with a zone"):
        EnrollmentRecord.model_validate(
            {"id": "e", "contact_id": "c", "sequence_id": "s", "next_send_at": "2026-12-01T09:00:00"},
            context={"now": NOW},
        )


def test_given_a_relative_date_when_validated_then_it_counts_whole_days_from_the_utc_date() -> None:
    record = SubscriptionRecord.model_validate(
        {
            "id": "s",
            "customer": "A",
            "owner_id": "u",
            "contact_email": "a@a.example",
            "renewal_date": "today+30d",
        },
        context={"now": NOW},
    )

    assert record.renewal_date == date(2026, 12, 28)


def test_given_repeated_offsets_when_validated_then_the_record_is_refused() -> None:
    with pytest.raises(ValidationError, match="must not repeat a day"):
        SubscriptionRecord.model_validate(
            {"id": "s", "customer": "A", "owner_id": "u", "contact_email": "a@a.example",
             "renewal_date": "2027-01-01", "reminder_offsets": [30, 30]},
            context={"now": NOW},
        )  # fmt: skip


def test_given_a_later_step_without_delay_when_validated_then_the_sequence_is_refused() -> None:
    step = {"delay_minutes": 0, "subject": "Hi", "body": "Hello"}

    with pytest.raises(ValidationError, match="step 2: delay_minutes must be at least 1"):
        SequenceRecord.model_validate({"id": "s", "name": "S", "steps": [step, step]})


@pytest.mark.parametrize("record_id", ["has space", "has#hash", "", "-leading-dash", "x" * 101])
def test_given_an_id_that_could_not_key_a_record_when_validated_then_it_is_refused(record_id: str) -> None:
    with pytest.raises(ValidationError, match="id"):
        SequenceRecord.model_validate(
            {"id": record_id, "name": "S", "steps": [{"delay_minutes": 0, "subject": "Hi", "body": "x"}]}
        )
