"""EventBridge Scheduler expression math: when a schedule ticks, and how to say it in plain words.

The status page compares what ran with what should have run, so these rules mirror AWS rather than
classic cron:

* cron is evaluated on the schedule's wall clock. A wall time the clock jumps over (spring forward)
  gets no tick at all; a wall time the clock shows twice (fall back) ticks once, at its first
  occurrence.
* rate counts elapsed time, not calendar time, from RATE_ANCHOR, which infra sets as every rate
  schedule's StartDate so that AWS and this module agree on where the ticks fall.
"""

from __future__ import annotations

import calendar
import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["RATE_ANCHOR", "Schedule", "ScheduleError", "parse_schedule"]

RATE_ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)

# The year range AWS accepts in a cron year field; it doubles as our search horizon.
FIRST_YEAR = 1970
LAST_YEAR = 2199

# Every real UTC offset lies within [-12h, +14h], so any instant more than 26 hours after a moment has a
# wall time later than the moment's own; see _scan_start.
_OFFSET_SPAN = timedelta(hours=26)
# Instants safely outside the horizon; clamping to them keeps offset arithmetic inside datetime's range.
_SCAN_FLOOR = datetime(FIRST_YEAR - 1, 1, 1, tzinfo=UTC)
_SCAN_CEILING = datetime(LAST_YEAR + 1, 12, 1, tzinfo=UTC)
_HORIZON_END = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class ScheduleError(ValueError):
    """A schedule expression or time zone that EventBridge Scheduler would reject."""


# ---------------------------------------------------------------------------------------------------------
# Parsed forms


@dataclass(frozen=True)
class _Rate:
    value: int
    unit: str  # "minute", "hour" or "day"
    # AWS counts rate(n days) as n*24 hours of elapsed time, so a fixed timedelta is exact.
    interval: timedelta


@dataclass(frozen=True)
class _DaySpec:
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
class _Cron:
    # Sorted tuples so the scans can bisect straight to the first candidate.
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: _DaySpec
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
_DAY_OF_WEEK = _FieldRule("day-of-week", 1, 7, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))
_YEAR = _FieldRule("year", FIRST_YEAR, LAST_YEAR, LAST_YEAR - FIRST_YEAR)

_SATURDAY = 7


# ---------------------------------------------------------------------------------------------------------
# Parsing


def _parse_zone(timezone: str) -> ZoneInfo:
    if not isinstance(timezone, str) or not timezone:
        raise ScheduleError(f"time zone must be an IANA name such as 'Europe/London', got {timezone!r}")
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise ScheduleError(f"unknown time zone {timezone!r}") from error


def _parse_expression(expression: str) -> _Rate | _Cron:
    if not isinstance(expression, str):
        raise ScheduleError(f"schedule expression must be a string, got {type(expression).__name__}")
    return _parse_expression_text(expression)


@lru_cache(maxsize=512)
def _parse_expression_text(expression: str) -> _Rate | _Cron:
    # Cached because status pages and benchmarks rebuild the same few schedules over and over.
    match = re.fullmatch(r"(rate|cron)\((.*)\)", expression)
    if match is None:
        hint = " (one-time at() schedules are not supported here)" if expression.startswith("at(") else ""
        raise ScheduleError(f"expected 'rate(value unit)' or 'cron(fields)', got {expression!r}{hint}")
    kind, body = match.groups()
    return _parse_rate(body) if kind == "rate" else _parse_cron(body)


def _parse_rate(body: str) -> _Rate:
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
    if seconds >= (_HORIZON_END - RATE_ANCHOR).total_seconds():
        raise ScheduleError(f"rate of {value} {unit} is longer than the horizon (up to {LAST_YEAR})")
    return _Rate(value, singular, timedelta(seconds=seconds))


def _parse_cron(body: str) -> _Cron:
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
    return _Cron(
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


def _parse_days(day_of_month: str, day_of_week: str) -> _DaySpec:
    if day_of_month == "?" and day_of_week == "?":
        raise ScheduleError("day-of-month and day-of-week cannot both be '?'; set one of them")
    if day_of_month != "?" and day_of_week != "?":
        raise ScheduleError(
            f"day-of-month ({day_of_month}) and day-of-week ({day_of_week}) cannot both be set; "
            "use '?' in one of them"
        )
    for text, rule in ((day_of_month, _DAY_OF_MONTH), (day_of_week, _DAY_OF_WEEK)):
        if "?" in text and text != "?":
            raise ScheduleError(f"{rule.name}: '?' must stand alone, got {text!r}")
    if day_of_week == "?":
        return _parse_day_of_month(day_of_month)
    return _parse_day_of_week(day_of_week)


def _parse_day_of_month(text: str) -> _DaySpec:
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
    return _DaySpec(
        source=_DAY_OF_MONTH.name,
        every_day=not special and len(days) == 31,
        month_days=frozenset(days),
        last_day=last_day,
        last_weekday=last_weekday,
        nearest_weekday=frozenset(nearest),
    )


def _parse_day_of_week(text: str) -> _DaySpec:
    weekdays: set[int] = set()
    last_of: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for item in _items(text, _DAY_OF_WEEK):
        if item == "L":
            # AWS: "L in day-of-week means the last day of the week", i.e. Saturday.
            weekdays.add(_SATURDAY)
        elif item.endswith("L"):
            last_of.add(_DAY_OF_WEEK.number(item.removesuffix("L")))
        elif "#" in item:
            day_text, _, nth_text = item.partition("#")
            if nth_text not in ("1", "2", "3", "4", "5"):
                raise ScheduleError(f"day-of-week: occurrence in {item!r} must be 1 to 5")
            nth.add((_DAY_OF_WEEK.number(day_text), int(nth_text)))
        else:
            weekdays |= _parse_plain(item, _DAY_OF_WEEK)
    return _DaySpec(
        source=_DAY_OF_WEEK.name,
        every_day=not last_of and not nth and len(weekdays) == 7,
        weekdays=frozenset(weekdays),
        last_of_weekday=frozenset(last_of),
        nth_weekday=frozenset(nth),
    )


# ---------------------------------------------------------------------------------------------------------
# Calendar


def _aws_weekday(day: date) -> int:
    # Python counts Monday=0 ... Sunday=6; AWS counts Sunday=1 ... Saturday=7.
    return (day.weekday() + 1) % 7 + 1


def _nearest_weekday(year: int, month: int, day: int, last: int) -> int:
    # Like Quartz, W never crosses into another month: 1W on a Saturday moves forward to Monday the 3rd.
    weekday = date(year, month, day).weekday()
    if weekday == 5:
        return day - 1 if day > 1 else day + 2
    if weekday == 6:
        return day + 1 if day < last else day - 2
    return day


@lru_cache(maxsize=8192)
def _month_days(spec: _DaySpec, year: int, month: int) -> tuple[int, ...]:
    last = calendar.monthrange(year, month)[1]
    if spec.every_day:
        return tuple(range(1, last + 1))
    days = {day for day in spec.month_days if day <= last}
    if spec.last_day:
        days.add(last)
    if spec.last_weekday:
        days.add(_nearest_weekday(year, month, last, last))
    days.update(_nearest_weekday(year, month, day, last) for day in spec.nearest_weekday if day <= last)
    first_weekday = _aws_weekday(date(year, month, 1))
    last_weekday = _aws_weekday(date(year, month, last))
    days.update(day for day in range(1, last + 1) if (first_weekday + day - 2) % 7 + 1 in spec.weekdays)
    days.update(last - (last_weekday - weekday) % 7 for weekday in spec.last_of_weekday)
    for weekday, nth in spec.nth_weekday:
        day = 1 + (weekday - first_weekday) % 7 + 7 * (nth - 1)
        if day <= last:
            days.add(day)
    return tuple(sorted(days))


def _walls_from(cron: _Cron, start: datetime) -> Iterator[datetime]:
    """The cron's naive wall times at or after start's minute, ascending."""
    first = start.date()
    for year in cron.years[bisect_left(cron.years, first.year) :]:
        for month in cron.months:
            if (year, month) < (first.year, first.month):
                continue
            for day in _month_days(cron.days, year, month):
                today = date(year, month, day)
                if today < first:
                    continue
                hour_from = bisect_left(cron.hours, start.hour) if today == first else 0
                for hour in cron.hours[hour_from:]:
                    same_hour = today == first and hour == start.hour
                    minute_from = bisect_left(cron.minutes, start.minute) if same_hour else 0
                    for minute in cron.minutes[minute_from:]:
                        yield datetime(year, month, day, hour, minute)


def _walls_until(cron: _Cron, end: datetime) -> Iterator[datetime]:
    """The cron's naive wall times at or before end's minute, descending."""
    last = end.date()
    for year in reversed(cron.years[: bisect_right(cron.years, last.year)]):
        for month in reversed(cron.months):
            if (year, month) > (last.year, last.month):
                continue
            for day in reversed(_month_days(cron.days, year, month)):
                today = date(year, month, day)
                if today > last:
                    continue
                hour_to = bisect_right(cron.hours, end.hour) if today == last else len(cron.hours)
                for hour in reversed(cron.hours[:hour_to]):
                    same_hour = today == last and hour == end.hour
                    minute_to = bisect_right(cron.minutes, end.minute) if same_hour else len(cron.minutes)
                    for minute in reversed(cron.minutes[:minute_to]):
                        yield datetime(year, month, day, hour, minute)


# ---------------------------------------------------------------------------------------------------------
# Wall clock <-> UTC
#
# With skipped wall times dropped and repeated ones pinned to their first occurrence, the map from wall
# time to instant is strictly increasing. So a scan over wall times in order can stop at the first one on
# the right side of the moment, provided it starts from a wall time no later than any wall time the clock
# shows after the moment (_scan_start), or, scanning backwards, no earlier than any it showed before it.


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    if offset is None:  # pragma: no cover - ZoneInfo always knows its offset
        raise ValueError(f"no UTC offset for {instant} in {zone}")
    return offset


def _scan_start(moment: datetime, zone: ZoneInfo) -> datetime:
    # Offsets change at most once within 26 hours in every real zone, so the two ends bound the window.
    lowest = min(_offset(moment, zone), _offset(moment + _OFFSET_SPAN, zone))
    return (moment + lowest).replace(tzinfo=None)


def _scan_end(moment: datetime, zone: ZoneInfo) -> datetime:
    highest = max(_offset(moment, zone), _offset(moment - _OFFSET_SPAN, zone))
    return (moment + highest).replace(tzinfo=None)


def _wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The instant AWS runs at this wall time, or None when the clock jumps over it."""
    first = wall.replace(tzinfo=zone)
    offset, offset_after = first.utcoffset(), first.replace(fold=1).utcoffset()
    if offset is None or offset_after is None:  # pragma: no cover - ZoneInfo always knows its offset
        raise ValueError(f"no UTC offset for {wall} in {zone}")
    # In a gap fold=0 takes the smaller offset from before the jump; in an overlap it takes the larger,
    # earlier one, which is the single run AWS makes.
    if offset < offset_after:
        return None
    return (wall - offset).replace(tzinfo=UTC)


def _as_utc(moment: datetime, name: str = "moment") -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


# ---------------------------------------------------------------------------------------------------------
# Tick sequences


def _rate_after(rate: _Rate, moment: datetime) -> Iterator[datetime]:
    interval = rate.interval
    # No ticks before the anchor: it is the schedule's StartDate, and AWS runs nothing before that.
    first = 0 if moment < RATE_ANCHOR else (moment - RATE_ANCHOR) // interval + 1
    last = (_HORIZON_END - RATE_ANCHOR) // interval
    for index in range(first, last + 1):
        yield RATE_ANCHOR + index * interval


def _rate_at_or_before(rate: _Rate, moment: datetime) -> Iterator[datetime]:
    if moment < RATE_ANCHOR:
        return
    interval = rate.interval
    latest = min(moment, _HORIZON_END - timedelta(microseconds=1))
    for index in range((latest - RATE_ANCHOR) // interval, -1, -1):
        yield RATE_ANCHOR + index * interval


def _cron_after(cron: _Cron, zone: ZoneInfo, moment: datetime) -> Iterator[datetime]:
    if moment >= _SCAN_CEILING:
        return
    for wall in _walls_from(cron, _scan_start(max(moment, _SCAN_FLOOR), zone)):
        tick = _wall_to_utc(wall, zone)
        if tick is not None and tick > moment:
            yield tick


def _cron_at_or_before(cron: _Cron, zone: ZoneInfo, moment: datetime) -> Iterator[datetime]:
    if moment < _SCAN_FLOOR:
        return
    for wall in _walls_until(cron, _scan_end(min(moment, _SCAN_CEILING), zone)):
        tick = _wall_to_utc(wall, zone)
        if tick is not None and tick <= moment:
            yield tick


# ---------------------------------------------------------------------------------------------------------
# Public API


@dataclass(frozen=True)
class Schedule:
    """An EventBridge Scheduler rate() or cron() expression evaluated in an IANA time zone."""

    expression: str
    timezone: str
    _rule: _Rate | _Cron = field(init=False, repr=False, compare=False)
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Validating here means no invalid Schedule can exist, however it was built.
        object.__setattr__(self, "_zone", _parse_zone(self.timezone))
        object.__setattr__(self, "_rule", _parse_expression(self.expression))

    def next_after(self, moment: datetime) -> datetime | None:
        """The first tick strictly after moment, or None if there is none up to the year 2199."""
        return next(self._ticks_after(_as_utc(moment)), None)

    def previous_at_or_before(self, moment: datetime) -> datetime | None:
        """The latest tick at or before moment, or None if there is none back to 1970 (or RATE_ANCHOR)."""
        return next(self._ticks_at_or_before(_as_utc(moment)), None)

    def ticks_between(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Ticks t with start < t <= end, ascending."""
        start_utc, end_utc = _as_utc(start, "start"), _as_utc(end, "end")
        return itertools.takewhile(lambda tick: tick <= end_utc, self._ticks_after(start_utc))

    def describe(self) -> str:
        """Plain words for a status page, falling back to the raw expression when no phrasing fits."""
        if isinstance(self._rule, _Rate):
            return _describe_rate(self._rule)
        phrase = _describe_cron(self._rule, self.timezone)
        return phrase if phrase is not None else f"{self.expression} in {self.timezone}"

    def _ticks_after(self, moment: datetime) -> Iterator[datetime]:
        if isinstance(self._rule, _Rate):
            return _rate_after(self._rule, moment)
        return _cron_after(self._rule, self._zone, moment)

    def _ticks_at_or_before(self, moment: datetime) -> Iterator[datetime]:
        if isinstance(self._rule, _Rate):
            return _rate_at_or_before(self._rule, moment)
        return _cron_at_or_before(self._rule, self._zone, moment)


def parse_schedule(expression: str, timezone: str) -> Schedule:
    """Validate an expression and time zone the way EventBridge Scheduler would; raises ScheduleError."""
    return Schedule(expression, timezone)


# ---------------------------------------------------------------------------------------------------------
# describe()

_WEEKDAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ORDINALS = ("first", "second", "third", "fourth", "fifth")
_MONDAY_TO_FRIDAY = frozenset({2, 3, 4, 5, 6})
_ALL_YEARS = tuple(range(FIRST_YEAR, LAST_YEAR + 1))
_EN_DASH = "\u2013"
# Beyond this many listed items a phrase stops being easier to read than the expression itself.
_MAX_LISTED = 6


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _is_run(values: tuple[int, ...]) -> bool:
    return len(values) > 1 and values == tuple(range(values[0], values[-1] + 1))


def _describe_rate(rate: _Rate) -> str:
    if rate.unit == "day":
        hours = 24 * rate.value
        return (
            "every day (24 hours apart)"
            if rate.value == 1
            else f"every {rate.value} days ({hours} hours apart)"
        )
    return f"every {rate.unit}" if rate.value == 1 else f"every {rate.value} {rate.unit}s"


def _describe_cron(cron: _Cron, timezone: str) -> str | None:
    days = _day_phrase(cron)
    if days is None:
        return None
    clock = _clock_phrase(cron.minutes, cron.hours)
    if clock is not None:
        return f"{days} at {clock} {timezone}"
    frequency = _frequency_phrase(cron.minutes, cron.hours)
    if frequency is None:
        return None
    if days == "every day":
        return f"{frequency} ({timezone})"
    return f"{frequency}, {days} ({timezone})"


def _clock_phrase(minutes: tuple[int, ...], hours: tuple[int, ...]) -> str | None:
    if len(hours) == 24 or len(minutes) * len(hours) > _MAX_LISTED:
        return None
    return _join([f"{hour:02d}:{minute:02d}" for hour in hours for minute in minutes])


def _frequency_phrase(minutes: tuple[int, ...], hours: tuple[int, ...]) -> str | None:
    step = _even_step(minutes, 60)
    if step is not None:
        within_hour = "every minute" if step == 1 else f"every {step} minutes"
    elif len(minutes) <= _MAX_LISTED:
        within_hour = "every hour at " + _join([f":{minute:02d}" for minute in minutes])
    else:
        return None
    if len(hours) == 24:
        return within_hour
    if _is_run(hours):
        return f"{within_hour} from {hours[0]:02d}:{minutes[0]:02d} to {hours[-1]:02d}:{minutes[-1]:02d}"
    hour_step = _even_step(hours, 24)
    if hour_step is not None and len(minutes) == 1:
        return f"every {hour_step} hours at :{minutes[0]:02d}"
    return None


def _even_step(values: tuple[int, ...], modulus: int) -> int | None:
    """n when values are 0, n, 2n, ... and n divides the cycle, so the gap is the same across the wrap."""
    if len(values) < 2:
        return None
    step = values[1] - values[0]
    if values == tuple(range(0, modulus, step)) and modulus % step == 0:
        return step
    return None


def _day_phrase(cron: _Cron) -> str | None:
    core = _weekday_phrase(cron.days) if cron.days.source == _DAY_OF_WEEK.name else _date_phrase(cron.days)
    if core is None:
        return None
    text, per_month = core
    months = _months_phrase(cron.months)
    if months is None:
        return None
    if per_month:
        text = (
            f"{text} every month {months}"
            if months.startswith("from")
            else f"{text} {months or 'every month'}"
        )
    elif months:
        text = f"{text} {months if months.startswith('from') else 'in ' + months}"
    years = _years_phrase(cron.years)
    if years is None:
        return None
    if months and not months.startswith("from") and years.startswith(" in "):
        # "in January 2026" rather than "in January in 2026".
        years = years.removeprefix(" in") if len(cron.years) == 1 else years
    return f"{text}{years}"


def _weekday_phrase(spec: _DaySpec) -> tuple[str, bool] | None:
    """(phrase, whether it reads 'of <months>') for a day-of-week field."""
    if spec.every_day:
        return "every day", False
    if spec.weekdays and not spec.has_special:
        if spec.weekdays == _MONDAY_TO_FRIDAY:
            return f"every weekday (Mon{_EN_DASH}Fri)", False
        # Monday first reads more naturally than AWS's Sunday-first numbering.
        ordered = sorted(spec.weekdays, key=lambda weekday: (weekday - 2) % 7)
        return "every " + _join([_WEEKDAY_NAMES[weekday - 1] for weekday in ordered]), False
    if spec.weekdays:
        return None
    parts = [
        f"{_ORDINALS[nth - 1]} {_WEEKDAY_NAMES[weekday - 1]}" for weekday, nth in sorted(spec.nth_weekday)
    ]
    parts += [f"last {_WEEKDAY_NAMES[weekday - 1]}" for weekday in sorted(spec.last_of_weekday)]
    return f"on the {_join(parts)} of", True


def _date_phrase(spec: _DaySpec) -> tuple[str, bool] | None:
    """(phrase, whether it reads 'of <months>') for a day-of-month field."""
    if spec.every_day:
        return "every day", False
    if len(spec.month_days) > _MAX_LISTED:
        return None
    parts: list[str] = []
    if spec.month_days:
        numbers = [str(day) for day in sorted(spec.month_days)]
        parts.append(f"day {numbers[0]}" if len(numbers) == 1 else f"days {_join(numbers)}")
    parts += [f"the weekday nearest day {day}" for day in sorted(spec.nearest_weekday)]
    if spec.last_weekday:
        parts.append("the last weekday")
    if spec.last_day:
        parts.append("the last day")
    return f"on {_join(parts)} of", True


def _months_phrase(months: tuple[int, ...]) -> str | None:
    """'' for every month, a phrase naming them, or None when they are too scattered to name."""
    if len(months) == 12:
        return ""
    if len(months) <= 4:
        return _join([_MONTH_NAMES[month - 1] for month in months])
    if _is_run(months):
        return f"from {_MONTH_NAMES[months[0] - 1]} to {_MONTH_NAMES[months[-1] - 1]}"
    return None


def _years_phrase(years: tuple[int, ...]) -> str | None:
    if years == _ALL_YEARS:
        return ""
    if len(years) <= 3:
        return " in " + _join([str(year) for year in years])
    if _is_run(years):
        return f" from {years[0]} to {years[-1]}"
    return None
