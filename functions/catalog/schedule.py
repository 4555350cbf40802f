"""Evaluates schedules: when an EventBridge Scheduler expression ticks, on the zone's wall clock."""

# The status page compares what ran with what should have run, so these rules mirror AWS rather than
# classic cron:
#
# * cron is evaluated on the schedule's wall clock. A wall time the clock jumps over (spring forward)
#   gets no tick at all; a wall time the clock shows twice (fall back) ticks once, at its first
#   occurrence.
# * rate counts elapsed time, not calendar time, from RATE_ANCHOR, which infra sets as every rate
#   schedule's StartDate so that AWS and this module agree on where the ticks fall.

from __future__ import annotations

import calendar
import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from functions.catalog.cron_syntax import (
    FIRST_YEAR,
    HORIZON_END,
    LAST_YEAR,
    RATE_ANCHOR,
    Cron,
    DaySpec,
    Rate,
    ScheduleError,
    parse_expression,
    parse_zone,
)
from functions.catalog.schedule_words import describe as describe_in_words

__all__ = ["RATE_ANCHOR", "Schedule", "ScheduleError", "parse_schedule"]

# Every real UTC offset lies within [-12h, +14h], so any instant more than 26 hours after a moment has a
# wall time later than the moment's own; see _scan_start.
_OFFSET_SPAN = timedelta(hours=26)
# Instants safely outside the horizon; clamping to them keeps offset arithmetic inside datetime's range.
_SCAN_FLOOR = datetime(FIRST_YEAR - 1, 1, 1, tzinfo=UTC)
_SCAN_CEILING = datetime(LAST_YEAR + 1, 12, 1, tzinfo=UTC)


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
def _month_days(spec: DaySpec, year: int, month: int) -> tuple[int, ...]:
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


def _walls_from(cron: Cron, start: datetime) -> Iterator[datetime]:
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


def _walls_until(cron: Cron, end: datetime) -> Iterator[datetime]:
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


def _rate_after(rate: Rate, moment: datetime) -> Iterator[datetime]:
    interval = rate.interval
    # No ticks before the anchor: it is the schedule's StartDate, and AWS runs nothing before that.
    first = 0 if moment < RATE_ANCHOR else (moment - RATE_ANCHOR) // interval + 1
    last = (HORIZON_END - RATE_ANCHOR) // interval
    for index in range(first, last + 1):
        yield RATE_ANCHOR + index * interval


def _rate_at_or_before(rate: Rate, moment: datetime) -> Iterator[datetime]:
    if moment < RATE_ANCHOR:
        return
    interval = rate.interval
    latest = min(moment, HORIZON_END - timedelta(microseconds=1))
    for index in range((latest - RATE_ANCHOR) // interval, -1, -1):
        yield RATE_ANCHOR + index * interval


def _cron_after(cron: Cron, zone: ZoneInfo, moment: datetime) -> Iterator[datetime]:
    if moment >= _SCAN_CEILING:
        return
    for wall in _walls_from(cron, _scan_start(max(moment, _SCAN_FLOOR), zone)):
        tick = _wall_to_utc(wall, zone)
        if tick is not None and tick > moment:
            yield tick


def _cron_at_or_before(cron: Cron, zone: ZoneInfo, moment: datetime) -> Iterator[datetime]:
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
    _rule: Rate | Cron = field(init=False, repr=False, compare=False)
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Validating here means no invalid Schedule can exist, however it was built.
        object.__setattr__(self, "_zone", parse_zone(self.timezone))
        object.__setattr__(self, "_rule", parse_expression(self.expression))

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
        phrase = describe_in_words(self._rule, self.timezone)
        return phrase if phrase is not None else f"{self.expression} in {self.timezone}"

    def _ticks_after(self, moment: datetime) -> Iterator[datetime]:
        if isinstance(self._rule, Rate):
            return _rate_after(self._rule, moment)
        return _cron_after(self._rule, self._zone, moment)

    def _ticks_at_or_before(self, moment: datetime) -> Iterator[datetime]:
        if isinstance(self._rule, Rate):
            return _rate_at_or_before(self._rule, moment)
        return _cron_at_or_before(self._rule, self._zone, moment)


def parse_schedule(expression: str, timezone: str) -> Schedule:
    """Validate an expression and time zone the way EventBridge Scheduler would; raises ScheduleError."""
    return Schedule(expression, timezone)
