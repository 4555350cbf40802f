"""Each job reads back the item keys its runs record, in one place: what a release acts on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.automations import follow_ups, renewal_reminders, scheduled_reports, sequences
from functions.automations.release import UnknownItemKeyError
from functions.catalog import JOB_NAMES
from functions.data.platform import ReportModel
from functions.lifecycle.recovery import RELEASERS


def test_given_each_jobs_item_key_when_parsed_then_its_parts_come_back() -> None:
    assert follow_ups.parse_key(follow_ups.item_key("f-1")) == "f-1"
    assert sequences.parse_key(sequences.item_key("e.1", 2)) == sequences.EnrollmentItem("e.1", 2)
    assert renewal_reminders.parse_key(renewal_reminders.item_key("s_1", "2026-12-05", 30)) == (
        renewal_reminders.ReminderItem("s_1", "2026-12-05", 30)
    )
    for label in ("2026-11-27", "2026-W48", "2026-11"):
        assert scheduled_reports.parse_key(scheduled_reports.item_key("r-1", label)) == (
            scheduled_reports.ReportItem("r-1", label)
        )


def test_given_an_unreadable_records_key_when_parsed_then_it_names_the_record_only() -> None:
    assert renewal_reminders.parse_key("subscription:s-1") == renewal_reminders.ReminderItem(
        "s-1", None, None
    )
    assert scheduled_reports.parse_key("report:r-1") == scheduled_reports.ReportItem("r-1", None)


@pytest.mark.parametrize(
    ("parse", "key"),
    [
        (follow_ups.parse_key, "enrollment:e-1:step:0"),
        (follow_ups.parse_key, "follow-up:"),
        (sequences.parse_key, "enrollment:e-1:step:x"),
        (sequences.parse_key, "enrollment:e-1"),
        (renewal_reminders.parse_key, "subscription:s-1:2026-12-05"),
        (renewal_reminders.parse_key, "subscription:s-1:2026-12-05:7"),
        (scheduled_reports.parse_key, "report:r-1:yesterday"),
        (scheduled_reports.parse_key, "follow-up:f-1"),
    ],
)
def test_given_a_key_of_another_shape_when_parsed_then_it_is_refused(parse, key: str) -> None:
    with pytest.raises(UnknownItemKeyError, match="is not an item key of"):
        parse(key)


def test_given_the_catalog_then_every_job_has_a_releaser() -> None:
    assert set(RELEASERS) == set(JOB_NAMES)


@pytest.mark.parametrize(
    ("frequency", "label", "due"),
    [
        ("daily", "2026-11-27", datetime(2026, 11, 28, 7, tzinfo=UTC)),
        ("weekly", "2026-W47", datetime(2026, 11, 24, 7, tzinfo=UTC)),
        ("monthly", "2026-10", datetime(2026, 11, 3, 7, tzinfo=UTC)),
    ],
)
def test_given_a_reports_period_label_when_reading_when_it_was_due_then_it_is_the_periods_end(
    frequency: str, label: str, due: datetime
) -> None:
    report = ReportModel.new(
        "r-1",
        name="r",
        report_type="pipeline_summary",
        frequency=frequency,
        timezone="Europe/London",
        hour=7,
        weekday=1,
        day_of_month=3,
    )

    assert scheduled_reports.period_due(report, label) == due


def test_given_a_label_that_is_not_one_of_the_reports_periods_when_reading_then_it_is_refused() -> None:
    report = ReportModel.new(
        "r-1", name="r", report_type="pipeline_summary", frequency="weekly", timezone="Europe/London"
    )

    with pytest.raises(ValueError, match="is not a period"):
        scheduled_reports.period_due(report, "2026-11")
