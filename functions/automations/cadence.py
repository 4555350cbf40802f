"""When a scheduled report is due, and which period it covers, on the wall clock of its time zone.

Daily reports are due every day at the report's hour, weekly ones on its weekday, monthly ones on its day of
the month. Times are wall-clock times in the report's zone, so 07:00 stays 07:00 across a DST change. An hour
the clock skips (spring forward) is read with the offset before the change, so it falls one hour later in real
time; an hour the clock shows twice (fall back) is due at its first occurrence.

A report due at T covers the period that ends at T: the previous day, week or month, labelled by where it
starts ("2026-11-27", "2026-W48", "2026-11").
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from functions.data.platform import ReportModel

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    label: str


@dataclass(frozen=True)
class Cadence:
    frequency: Frequency
    timezone: str
    hour: int
    weekday: int = 0  # Monday = 0
    day_of_month: int = 1  # at most 28, so every month has it

    @classmethod
    def of(cls, report: ReportModel) -> Cadence:
        return cls(
            frequency=Frequency(report.frequency),
            timezone=report.timezone,
            hour=int(report.hour),
            weekday=int(report.weekday),
            day_of_month=int(report.day_of_month),
        )

    def _at(self, day: date) -> datetime:
        # fold=0 reads a skipped wall time with the old offset and an ambiguous one as its first occurrence.
        return datetime.combine(day, time(self.hour), tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)

    def _first_day_on_or_after(self, day: date) -> date:
        if self.frequency is Frequency.DAILY:
            return day
        if self.frequency is Frequency.WEEKLY:
            return day + timedelta(days=(self.weekday - day.weekday()) % 7)
        candidate = day.replace(day=self.day_of_month)
        return candidate if candidate >= day else _add_months(candidate, 1)

    def _step(self, day: date, count: int) -> date:
        if self.frequency is Frequency.DAILY:
            return day + timedelta(days=count)
        if self.frequency is Frequency.WEEKLY:
            return day + timedelta(weeks=count)
        return _add_months(day, count)

    def next_due_after(self, moment: datetime) -> datetime:
        """The first due time strictly after `moment`."""
        day = self._first_day_on_or_after(moment.astimezone(ZoneInfo(self.timezone)).date())
        while self._at(day) <= moment:
            day = self._step(day, 1)
        return self._at(day)

    def period_ending(self, due: datetime) -> Period:
        end_day = due.astimezone(ZoneInfo(self.timezone)).date()
        start_day = self._step(end_day, -1)
        if self.frequency is Frequency.DAILY:
            label = start_day.isoformat()
        elif self.frequency is Frequency.WEEKLY:
            year, week, _ = start_day.isocalendar()
            label = f"{year}-W{week:02d}"
        else:
            label = f"{start_day:%Y-%m}"
        return Period(start=self._at(start_day), end=due, label=label)


def _add_months(day: date, count: int) -> date:
    months = day.year * 12 + day.month - 1 + count
    year, month = months // 12, months % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
