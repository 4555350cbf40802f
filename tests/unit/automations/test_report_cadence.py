"""Report due times on the report's wall clock, across DST changes and month ends, and the period covered."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.automations.cadence import Cadence, Frequency


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


LONDON_DAILY = Cadence(Frequency.DAILY, "Europe/London", hour=7)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (utc(2026, 11, 28, 6, 59), utc(2026, 11, 28, 7, 0)),  # later today
        (utc(2026, 11, 28, 7, 0), utc(2026, 11, 29, 7, 0)),  # strictly after
        (utc(2027, 3, 27, 7, 0), utc(2027, 3, 28, 6, 0)),  # spring forward: 07:00 BST
        (utc(2026, 10, 24, 6, 0), utc(2026, 10, 25, 7, 0)),  # fall back: 07:00 GMT
    ],
)
def test_given_a_daily_report_when_the_next_time_is_computed_then_it_is_the_hour_on_the_local_clock(
    after: datetime, expected: datetime
) -> None:
    assert LONDON_DAILY.next_due_after(after) == expected


def test_given_an_hour_the_clock_skips_when_due_then_it_falls_one_hour_later_in_real_time() -> None:
    at_one = Cadence(Frequency.DAILY, "Europe/London", hour=1)

    assert at_one.next_due_after(utc(2027, 3, 27, 12, 0)) == utc(2027, 3, 28, 1, 0)  # 02:00 BST


def test_given_an_hour_the_clock_shows_twice_when_due_then_it_is_the_first_occurrence() -> None:
    at_one = Cadence(Frequency.DAILY, "Europe/London", hour=1)

    assert at_one.next_due_after(utc(2026, 10, 24, 12, 0)) == utc(2026, 10, 25, 0, 0)  # 01:00 BST


def test_given_weekly_and_monthly_reports_when_the_next_time_is_computed_then_it_is_their_day() -> None:
    weekly = Cadence(Frequency.WEEKLY, "Europe/London", hour=8, weekday=0)
    monthly = Cadence(Frequency.MONTHLY, "America/New_York", hour=9, day_of_month=1)

    assert weekly.next_due_after(utc(2026, 11, 28, 9, 0)) == utc(2026, 11, 30, 8, 0)  # Saturday -> Monday
    assert weekly.next_due_after(utc(2026, 11, 30, 8, 0)) == utc(2026, 12, 7, 8, 0)
    assert monthly.next_due_after(utc(2026, 12, 15, 0, 0)) == utc(2027, 1, 1, 14, 0)  # 09:00 EST
    assert monthly.next_due_after(utc(2027, 3, 15, 0, 0)) == utc(2027, 4, 1, 13, 0)  # 09:00 EDT


@pytest.mark.parametrize(
    ("cadence", "due", "label", "start"),
    [
        (LONDON_DAILY, utc(2026, 11, 28, 7, 0), "2026-11-27", utc(2026, 11, 27, 7, 0)),
        (LONDON_DAILY, utc(2027, 3, 28, 6, 0), "2027-03-27", utc(2027, 3, 27, 7, 0)),
        (
            Cadence(Frequency.WEEKLY, "Europe/London", 7),
            utc(2026, 11, 30, 7, 0),
            "2026-W48",
            utc(2026, 11, 23, 7, 0),
        ),
        (
            Cadence(Frequency.MONTHLY, "Europe/London", 7),
            utc(2027, 1, 1, 7, 0),
            "2026-12",
            utc(2026, 12, 1, 7, 0),
        ),
    ],
)
def test_given_a_due_time_when_its_period_is_computed_then_it_is_the_one_ending_then(
    cadence: Cadence, due: datetime, label: str, start: datetime
) -> None:
    period = cadence.period_ending(due)

    assert (period.label, period.start, period.end) == (label, start, due)
