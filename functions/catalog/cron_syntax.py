"""Parses EventBridge Scheduler rate() and cron() expressions into checked forms, rejecting what AWS would."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DAY_OF_WEEK",
    "FIRST_YEAR",
    "HORIZON_END",
    "LAST_YEAR",
    "RATE_ANCHOR",
    "Cron",
    "DaySpec",
    "Rate",
    "ScheduleError",
    "parse_expression",
    "parse_zone",
]

# Every rate schedule's StartDate (infra sets it); rate ticks are counted from here. Defined here because
# parsing rejects a rate longer than the horizon measured from it.
RATE_ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)

# The year range AWS accepts in a cron year field; it doubles as our search horizon.
FIRST_YEAR = 1970
LAST_YEAR = 2199

# Where the search horizon ends: the start of the year after LAST_YEAR, in UTC.
HORIZON_END = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class ScheduleError(ValueError):
    """A schedule expression or time zone that EventBridge Scheduler would reject."""


# ---------------------------------------------------------------------------------------------------------
# Parsed forms


@dataclass(frozen=True)
class Rate:
    value: int
    unit: str  # "minute", "hour" or "day"
    # AWS counts rate(n days) as n*24 hours of elapsed time, so a fixed timedelta is exact.
    interval: timedelta


@dataclass(frozen=True)
class DaySpec:
    """Which days of a month match; built from whichever of day-of-month / day-of-week is not '?'."""

    source: str  # "day-of-month" or "day-of-week"
    every_day: bool = False
    month_days: frozenset[int] = frozenset()
    last_day: bool = False  # L in day-of-month
    last_weekday: bool = False  # LW
    nearest_weekday: frozenset[int] = frozenset()  # 15W
    weekdays: frozenset[int] = frozenset()  # AWS numbering: 1=SUN ... 7=SAT
    last_of_weekday: frozenset[int] = frozenset()  # 6L / FRIL
    nth_weekday: frozenset[tuple[int, int]] = frozenset()  # 3#2 -> (3, 2)

    @property
    def has_special(self) -> bool:
        return bool(
            self.last_day
            or self.last_weekday
            or self.nearest_weekday
            or self.last_of_weekday
            or self.nth_weekday
        )


@dataclass(frozen=True)
class Cron:
    # Sorted tuples so the scans can bisect straight to the first candidate.
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: DaySpec
    months: tuple[int, ...]
    years: tuple[int, ...]


@dataclass(frozen=True)
class _FieldRule:
    name: str
    low: int
    high: int
    max_step: int
    names: tuple[str, ...] = ()  # names[i] stands for the value i + 1

    def number(self, text: str) -> int:
        if re.fullmatch(r"[0-9]+", text):
            value = int(text)
        elif text in self.names:
            value = self.names.index(text) + 1
        else:
            raise ScheduleError(f"{self.name}: {text!r} is not a number{' or name' if self.names else ''}")
        if not self.low <= value <= self.high:
            raise ScheduleError(f"{self.name}: {value} is out of range {self.low}-{self.high}")
        return value


_MINUTES = _FieldRule("minutes", 0, 59, 59)
_HOURS = _FieldRule("hours", 0, 23, 23)
_DAY_OF_MONTH = _FieldRule("day-of-month", 1, 31, 31)
_MONTH = _FieldRule(
    "month",
    1,
    12,
    12,
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
)
DAY_OF_WEEK = _FieldRule("day-of-week", 1, 7, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))
_YEAR = _FieldRule("year", FIRST_YEAR, LAST_YEAR, LAST_YEAR - FIRST_YEAR)

_SATURDAY = 7


# ---------------------------------------------------------------------------------------------------------
# Parsing


def parse_zone(timezone: str) -> ZoneInfo:
    if not isinstance(timezone, str) or not timezone:
        raise ScheduleError(f"time zone must be an IANA name such as 'Europe/London', got {timezone!r}")
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise ScheduleError(f"unknown time zone {timezone!r}") from error


def parse_expression(expression: str) -> Rate | Cron:
    if not isinstance(expression, str):
        raise ScheduleError(f"schedule expression must be a string, got {type(expression).__name__}")
    return _parse_expression_text(expression)


@lru_cache(maxsize=512)
def _parse_expression_text(expression: str) -> Rate | Cron:
    # Cached because status pages and benchmarks rebuild the same few schedules over and over.
    match = re.fullmatch(r"(rate|cron)\((.*)\)", expression)
    if match is None:
        hint = " (one-time at() schedules are not supported here)" if expression.startswith("at(") else ""
        raise ScheduleError(f"expected 'rate(value unit)' or 'cron(fields)', got {expression!r}{hint}")
    kind, body = match.groups()
    return _parse_rate(body) if kind == "rate" else _parse_cron(body)


def _parse_rate(body: str) -> Rate:
    match = re.fullmatch(r"\s*([0-9]+)\s+([a-z]+)\s*", body)
    if match is None:
        raise ScheduleError(f"rate must look like 'rate(15 minutes)', got 'rate({body})'")
    value, unit = int(match.group(1)), match.group(2)
    singular = unit.removesuffix("s")
    if singular not in ("minute", "hour", "day"):
        raise ScheduleError(f"rate unit must be minute(s), hour(s) or day(s), got {unit!r}")
    if value <= 0:
        raise ScheduleError(f"rate value must be a positive whole number, got {value}")
    # AWS insists on the grammatical form: rate(1 hour) but rate(2 hours).
    if value == 1 and unit != singular:
        raise ScheduleError(f"rate of 1 needs the singular unit: 'rate(1 {singular})'")
    if value > 1 and unit == singular:
        raise ScheduleError(f"rate of {value} needs the plural unit: 'rate({value} {singular}s)'")
    seconds = value * _UNIT_SECONDS[singular]
    # Checked in whole seconds first so an absurd value is a clear error rather than a timedelta overflow.
    if seconds >= (HORIZON_END - RATE_ANCHOR).total_seconds():
        raise ScheduleError(f"rate of {value} {unit} is longer than the horizon (up to {LAST_YEAR})")
    return Rate(value, singular, timedelta(seconds=seconds))


def _parse_cron(body: str) -> Cron:
    fields = body.split()
    if len(fields) != 6:
        raise ScheduleError(
            "cron needs exactly 6 fields (minutes hours day-of-month month day-of-week year), "
            f"got {len(fields)} in 'cron({body})'"
        )
    minutes, hours, day_of_month, month, day_of_week, year = (text.upper() for text in fields)
    for text, rule in ((minutes, _MINUTES), (hours, _HOURS), (month, _MONTH), (year, _YEAR)):
        if "?" in text:
            raise ScheduleError(f"{rule.name}: '?' is only allowed in day-of-month or day-of-week")
    return Cron(
        minutes=_sorted(_parse_plain_list(minutes, _MINUTES)),
        hours=_sorted(_parse_plain_list(hours, _HOURS)),
        days=_parse_days(day_of_month, day_of_week),
        months=_sorted(_parse_plain_list(month, _MONTH)),
        years=_sorted(_parse_plain_list(year, _YEAR)),
    )


def _sorted(values: set[int]) -> tuple[int, ...]:
    return tuple(sorted(values))


def _items(text: str, rule: _FieldRule) -> list[str]:
    items = text.split(",")
    if any(not item for item in items):
        raise ScheduleError(f"{rule.name}: empty entry in {text!r}")
    return items


def _parse_plain_list(text: str, rule: _FieldRule) -> set[int]:
    values: set[int] = set()
    for item in _items(text, rule):
        values |= _parse_plain(item, rule)
    return values


def _parse_plain(item: str, rule: _FieldRule) -> set[int]:
    """One of: *, n, a-b, with an optional /step (*/5, 0/15, 5-40/10)."""
    base, slash, step_text = item.partition("/")
    step = _parse_step(step_text, rule) if slash else 1
    if base == "*":
        low, high = rule.low, rule.high
    elif "-" in base:
        start_text, _, end_text = base.partition("-")
        low, high = rule.number(start_text), rule.number(end_text)
        if low > high:
            raise ScheduleError(f"{rule.name}: range {base!r} runs backwards")
    else:
        low = rule.number(base)
        # n/step means "from n to the end of the field", as in 0/15.
        high = rule.high if slash else low
    return set(range(low, high + 1, step))


def _parse_step(text: str, rule: _FieldRule) -> int:
    if not re.fullmatch(r"[0-9]+", text) or not 1 <= int(text) <= rule.max_step:
        raise ScheduleError(
            f"{rule.name}: increment {text!r} must be a whole number from 1 to {rule.max_step}"
        )
    return int(text)


def _parse_days(day_of_month: str, day_of_week: str) -> DaySpec:
    if day_of_month == "?" and day_of_week == "?":
        raise ScheduleError("day-of-month and day-of-week cannot both be '?'; set one of them")
    if day_of_month != "?" and day_of_week != "?":
        raise ScheduleError(
            f"day-of-month ({day_of_month}) and day-of-week ({day_of_week}) cannot both be set; "
            "use '?' in one of them"
        )
    for text, rule in ((day_of_month, _DAY_OF_MONTH), (day_of_week, DAY_OF_WEEK)):
        if "?" in text and text != "?":
            raise ScheduleError(f"{rule.name}: '?' must stand alone, got {text!r}")
    if day_of_week == "?":
        return _parse_day_of_month(day_of_month)
    return _parse_day_of_week(day_of_week)


def _parse_day_of_month(text: str) -> DaySpec:
    days: set[int] = set()
    nearest: set[int] = set()
    last_day = last_weekday = False
    for item in _items(text, _DAY_OF_MONTH):
        if item == "L":
            last_day = True
        elif item == "LW":
            last_weekday = True
        elif item.endswith("W"):
            nearest.add(_DAY_OF_MONTH.number(item.removesuffix("W")))
        else:
            days |= _parse_plain(item, _DAY_OF_MONTH)
    special = last_day or last_weekday or nearest
    return DaySpec(
        source=_DAY_OF_MONTH.name,
        every_day=not special and len(days) == 31,
        month_days=frozenset(days),
        last_day=last_day,
        last_weekday=last_weekday,
        nearest_weekday=frozenset(nearest),
    )


def _parse_day_of_week(text: str) -> DaySpec:
    weekdays: set[int] = set()
    last_of: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for item in _items(text, DAY_OF_WEEK):
        if item == "L":
            # AWS: "L in day-of-week means the last day of the week", i.e. Saturday.
            weekdays.add(_SATURDAY)
        elif item.endswith("L"):
            last_of.add(DAY_OF_WEEK.number(item.removesuffix("L")))
        elif "#" in item:
            day_text, _, nth_text = item.partition("#")
            if nth_text not in ("1", "2", "3", "4", "5"):
                raise ScheduleError(f"day-of-week: occurrence in {item!r} must be 1 to 5")
            nth.add((DAY_OF_WEEK.number(day_text), int(nth_text)))
        else:
            weekdays |= _parse_plain(item, DAY_OF_WEEK)
    return DaySpec(
        source=DAY_OF_WEEK.name,
        every_day=not last_of and not nth and len(weekdays) == 7,
        weekdays=frozenset(weekdays),
        last_of_weekday=frozenset(last_of),
        nth_weekday=frozenset(nth),
    )
