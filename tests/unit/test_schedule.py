"""EventBridge Scheduler expression math.

Expected instants are written out by hand as UTC literals (worked from the zone's offset on that day),
so a bug in the module cannot also be baked into the expectations.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.catalog.schedule import RATE_ANCHOR, Schedule, ScheduleError, parse_schedule

LONDON = "Europe/London"
NEW_YORK = "America/New_York"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------------------
# rate()


def test_given_the_rate_anchor_then_it_is_the_start_of_2026_utc() -> None:
    assert utc(2026, 1, 1) == RATE_ANCHOR


def test_given_rate_15_minutes_when_asked_mid_interval_then_ticks_sit_on_the_quarter_hours() -> None:
    schedule = parse_schedule("rate(15 minutes)", LONDON)
    moment = utc(2026, 5, 3, 12, 34, second=56)

    assert schedule.next_after(moment) == utc(2026, 5, 3, 12, 45)
    assert schedule.previous_at_or_before(moment) == utc(2026, 5, 3, 12, 30)


def test_given_rate_15_minutes_when_asked_exactly_on_a_tick_then_next_is_strictly_after() -> None:
    schedule = parse_schedule("rate(15 minutes)", "UTC")

    assert schedule.next_after(utc(2026, 5, 3, 12, 45)) == utc(2026, 5, 3, 13, 0)
    assert schedule.previous_at_or_before(utc(2026, 5, 3, 12, 45)) == utc(2026, 5, 3, 12, 45)


def test_given_rate_7_hours_then_ticks_count_from_the_anchor_not_from_midnight() -> None:
    schedule = parse_schedule("rate(7 hours)", "UTC")
    # 2026-01-02 12:00Z is 36 h after the anchor: ticks at 35 h (11:00Z) and 42 h (18:00Z).
    moment = utc(2026, 1, 2, 12)

    assert schedule.previous_at_or_before(moment) == utc(2026, 1, 2, 11)
    assert schedule.next_after(moment) == utc(2026, 1, 2, 18)


def test_given_rate_3_days_then_ticks_fall_every_72_hours_from_the_anchor() -> None:
    schedule = parse_schedule("rate(3 days)", "UTC")

    assert list(schedule.ticks_between(utc(2026, 1, 1), utc(2026, 1, 10))) == [
        utc(2026, 1, 4),
        utc(2026, 1, 7),
        utc(2026, 1, 10),
    ]


def test_given_rate_1_day_in_london_when_clocks_spring_forward_then_ticks_stay_24_hours_apart() -> None:
    schedule = parse_schedule("rate(1 day)", LONDON)

    assert list(schedule.ticks_between(utc(2026, 3, 28, 12), utc(2026, 3, 31, 12))) == [
        utc(2026, 3, 29),
        utc(2026, 3, 30),
        utc(2026, 3, 31),
    ]


def test_given_a_moment_before_the_anchor_when_asking_a_rate_then_the_first_tick_is_the_anchor() -> None:
    schedule = parse_schedule("rate(1 hour)", "UTC")

    assert schedule.next_after(utc(2025, 12, 31, 22, 10)) == RATE_ANCHOR
    assert schedule.previous_at_or_before(utc(2025, 12, 31, 23, 59)) is None
    assert schedule.previous_at_or_before(RATE_ANCHOR) == RATE_ANCHOR


# ---------------------------------------------------------------------------------------------------------
# cron(): plain fields


def test_given_a_15_minute_cron_when_crossing_an_hour_then_next_and_previous_straddle_it() -> None:
    schedule = parse_schedule("cron(0/15 * * * ? *)", "UTC")

    assert schedule.next_after(utc(2026, 5, 3, 10, 59, second=59)) == utc(2026, 5, 3, 11, 0)
    assert schedule.previous_at_or_before(utc(2026, 5, 3, 10, 59)) == utc(2026, 5, 3, 10, 45)


def test_given_a_15_minute_cron_when_crossing_midnight_and_new_year_then_it_rolls_over() -> None:
    schedule = parse_schedule("cron(*/15 * * * ? *)", LONDON)

    assert schedule.next_after(utc(2026, 12, 31, 23, 46)) == utc(2027, 1, 1, 0, 0)
    assert schedule.previous_at_or_before(utc(2027, 1, 1, 0, 14)) == utc(2027, 1, 1, 0, 0)
    assert schedule.previous_at_or_before(utc(2026, 12, 31, 23, 59, second=59)) == utc(2026, 12, 31, 23, 45)


def test_given_a_cron_with_range_and_step_then_only_those_minutes_tick() -> None:
    schedule = parse_schedule("cron(5-40/10 9 * * ? *)", "UTC")

    assert [tick.minute for tick in schedule.ticks_between(utc(2026, 5, 3), utc(2026, 5, 4))] == [
        5,
        15,
        25,
        35,
    ]


def test_given_weekday_cron_by_name_when_asked_on_friday_evening_then_next_is_monday() -> None:
    schedule = parse_schedule("cron(0 8 ? * mon-fri *)", "UTC")

    # 2026-05-08 is a Friday.
    assert schedule.next_after(utc(2026, 5, 8, 9)) == utc(2026, 5, 11, 8)


def test_given_month_names_then_only_those_months_tick() -> None:
    schedule = parse_schedule("cron(0 0 1 JAN,JUL ? *)", "UTC")

    assert list(schedule.ticks_between(utc(2026, 1, 1), utc(2027, 1, 1))) == [
        utc(2026, 7, 1),
        utc(2027, 1, 1),
    ]


def test_given_ticks_then_seconds_are_zero_even_when_asked_at_odd_seconds() -> None:
    schedule = parse_schedule("cron(* * * * ? *)", "UTC")

    tick = schedule.next_after(datetime(2026, 5, 3, 10, 0, 31, 999_999, tzinfo=UTC))

    assert tick == utc(2026, 5, 3, 10, 1)
    assert tick is not None and tick.second == 0 and tick.microsecond == 0


def test_given_an_aware_non_utc_moment_then_the_answer_is_still_utc() -> None:
    schedule = parse_schedule("cron(0 7 * * ? *)", "UTC")

    tick = schedule.next_after(datetime(2026, 5, 3, 8, 30, tzinfo=ZoneInfo(LONDON)))  # 07:30Z

    assert tick == utc(2026, 5, 4, 7)
    assert tick is not None and tick.utcoffset() == timedelta(0)


def test_given_a_naive_moment_then_value_error() -> None:
    schedule = parse_schedule("cron(0 7 * * ? *)", "UTC")

    with pytest.raises(ValueError, match="timezone-aware"):
        schedule.next_after(datetime(2026, 5, 3))
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule.previous_at_or_before(datetime(2026, 5, 3))
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule.ticks_between(datetime(2026, 5, 3), utc(2026, 5, 4))


# ---------------------------------------------------------------------------------------------------------
# cron(): daylight saving time


@pytest.mark.parametrize(
    ("timezone", "moment", "expected"),
    [
        # London springs forward 2026-03-29 (GMT -> BST) and falls back 2026-10-25 (BST -> GMT).
        (LONDON, utc(2026, 3, 27, 12), utc(2026, 3, 28, 7)),
        (LONDON, utc(2026, 3, 28, 12), utc(2026, 3, 29, 6)),
        (LONDON, utc(2026, 10, 23, 12), utc(2026, 10, 24, 6)),
        (LONDON, utc(2026, 10, 24, 12), utc(2026, 10, 25, 7)),
        # New York springs forward 2026-03-08 (EST -> EDT) and falls back 2026-11-01 (EDT -> EST).
        (NEW_YORK, utc(2026, 3, 7, 0), utc(2026, 3, 7, 12)),
        (NEW_YORK, utc(2026, 3, 7, 13), utc(2026, 3, 8, 11)),
        (NEW_YORK, utc(2026, 10, 31, 0), utc(2026, 10, 31, 11)),
        (NEW_YORK, utc(2026, 10, 31, 12), utc(2026, 11, 1, 12)),
    ],
)
def test_given_daily_0700_when_clocks_change_then_it_follows_the_wall_clock(
    timezone: str, moment: datetime, expected: datetime
) -> None:
    schedule = parse_schedule("cron(0 7 * * ? *)", timezone)

    assert schedule.next_after(moment) == expected
    assert schedule.previous_at_or_before(expected + timedelta(hours=1)) == expected


def test_given_0130_in_london_when_clocks_spring_forward_then_that_day_has_no_tick() -> None:
    schedule = parse_schedule("cron(30 1 * * ? *)", LONDON)

    ticks = list(schedule.ticks_between(utc(2026, 3, 27, 12), utc(2026, 3, 30, 12)))

    # 01:30 on 2026-03-29 does not exist: 01:00 GMT jumps straight to 02:00 BST.
    assert ticks == [utc(2026, 3, 28, 1, 30), utc(2026, 3, 30, 0, 30)]
    assert schedule.next_after(utc(2026, 3, 28, 1, 30)) == utc(2026, 3, 30, 0, 30)
    assert schedule.previous_at_or_before(utc(2026, 3, 30, 0, 29)) == utc(2026, 3, 28, 1, 30)


def test_given_0130_in_london_when_clocks_fall_back_then_it_runs_once_at_the_first_0130() -> None:
    schedule = parse_schedule("cron(30 1 * * ? *)", LONDON)

    ticks = list(schedule.ticks_between(utc(2026, 10, 24, 12), utc(2026, 10, 26, 12)))

    # 01:30 BST (00:30Z) runs; the repeat at 01:30 GMT (01:30Z) does not.
    assert ticks == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]
    assert schedule.previous_at_or_before(utc(2026, 10, 25, 1, 30)) == utc(2026, 10, 25, 0, 30)
    assert schedule.next_after(utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 26, 1, 30)


def test_given_15_minute_cron_in_utc_when_counting_a_day_then_96_ticks() -> None:
    schedule = parse_schedule("cron(0/15 * * * ? *)", "UTC")

    assert sum(1 for _ in schedule.ticks_between(utc(2026, 5, 2, 23, 59), utc(2026, 5, 3, 23, 59))) == 96


def test_given_15_minute_cron_in_london_when_clocks_spring_forward_then_the_23_hour_day_has_92_ticks() -> (
    None
):
    schedule = parse_schedule("cron(0/15 * * * ? *)", LONDON)
    # The wall-clock day 2026-03-29 runs from 00:00Z (GMT midnight) to 23:00Z (BST midnight).
    ticks = list(schedule.ticks_between(utc(2026, 3, 28, 23, 59), utc(2026, 3, 29, 22, 59)))

    assert len(ticks) == 92
    assert utc(2026, 3, 29, 0, 45) in ticks
    assert utc(2026, 3, 29, 1, 0) in ticks  # 02:00 BST, the first wall time after the gap


def test_given_15_minute_cron_in_london_when_clocks_fall_back_then_the_25_hour_day_has_96_ticks() -> None:
    schedule = parse_schedule("cron(0/15 * * * ? *)", LONDON)
    # The wall-clock day 2026-10-25 runs from 2026-10-24 23:00Z (BST midnight) to 2026-10-26 00:00Z.
    ticks = list(schedule.ticks_between(utc(2026, 10, 24, 22, 59), utc(2026, 10, 25, 23, 59)))

    assert len(ticks) == 96
    # The repeated hour 01:00-01:59 GMT (01:00Z-01:59Z) is silent: 01:45 BST is followed by 02:00 GMT.
    assert utc(2026, 10, 25, 0, 45) in ticks
    assert not [tick for tick in ticks if utc(2026, 10, 25, 1, 0) <= tick < utc(2026, 10, 25, 2, 0)]
    assert schedule.next_after(utc(2026, 10, 25, 0, 45)) == utc(2026, 10, 25, 2, 0)
    assert schedule.previous_at_or_before(utc(2026, 10, 25, 1, 59)) == utc(2026, 10, 25, 0, 45)


# A minute-by-minute walk in UTC is slow but obviously right: a tick is a minute whose wall time matches
# and is the first occurrence of that wall time (fold 0). Skipped wall times never appear in the walk.
_REFERENCE_CASES: list[tuple[str, Callable[[datetime], bool]]] = [
    ("cron(0/15 * * * ? *)", lambda wall: wall.minute % 15 == 0),
    ("cron(30 1 * * ? *)", lambda wall: (wall.hour, wall.minute) == (1, 30)),
    ("cron(0,45 0-3 * * ? *)", lambda wall: wall.minute in (0, 45) and wall.hour <= 3),
    (
        "cron(*/10 1-2 ? * SUN *)",
        lambda wall: wall.minute % 10 == 0 and wall.hour in (1, 2) and wall.isoweekday() == 7,
    ),
]
_DST_DAYS = [
    (LONDON, utc(2026, 3, 28, 12)),
    (LONDON, utc(2026, 10, 24, 12)),
    (NEW_YORK, utc(2026, 3, 7, 18)),
    (NEW_YORK, utc(2026, 10, 31, 18)),
    ("Australia/Sydney", utc(2026, 4, 4)),  # falls back 2026-04-05 03:00 -> 02:00
    ("Australia/Sydney", utc(2026, 10, 3)),  # springs forward 2026-10-04 02:00 -> 03:00
    ("Australia/Lord_Howe", utc(2026, 4, 4)),  # half-hour shift: 02:00 -> 01:30
    ("Australia/Lord_Howe", utc(2026, 10, 3)),  # half-hour shift: 02:00 -> 02:30
]


@pytest.mark.parametrize(("timezone", "start"), _DST_DAYS)
@pytest.mark.parametrize(("expression", "matches"), _REFERENCE_CASES)
def test_given_a_dst_change_when_compared_with_a_minute_by_minute_walk_then_the_ticks_agree(
    timezone: str, start: datetime, expression: str, matches: Callable[[datetime], bool]
) -> None:
    zone = ZoneInfo(timezone)
    end = start + timedelta(hours=48)
    minutes = (start + timedelta(minutes=n) for n in range(1, 48 * 60 + 1))
    expected = [minute for minute in minutes if matches(wall := minute.astimezone(zone)) and wall.fold == 0]

    assert list(parse_schedule(expression, timezone).ticks_between(start, end)) == expected


# ---------------------------------------------------------------------------------------------------------
# cron(): L, W and #


def test_given_l_in_day_of_month_then_it_is_the_last_day_including_leap_february() -> None:
    schedule = parse_schedule("cron(0 6 L * ? *)", LONDON)

    assert schedule.next_after(utc(2026, 2, 15)) == utc(2026, 2, 28, 6)
    assert schedule.next_after(utc(2028, 2, 15)) == utc(2028, 2, 29, 6)
    assert schedule.next_after(utc(2026, 4, 1)) == utc(2026, 4, 30, 5)  # 06:00 BST
    assert schedule.previous_at_or_before(utc(2026, 3, 31, 4, 59)) == utc(2026, 2, 28, 6)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (utc(2026, 1, 1), utc(2026, 1, 30, 12)),  # Sat 31st -> Fri 30th
        (utc(2026, 2, 1), utc(2026, 2, 27, 12)),  # Sat 28th -> Fri 27th
        (utc(2026, 3, 1), utc(2026, 3, 31, 12)),  # Tue 31st is already a weekday
        (utc(2026, 5, 1), utc(2026, 5, 29, 12)),  # Sun 31st -> Fri 29th
    ],
)
def test_given_lw_then_it_is_the_last_weekday_of_the_month(after: datetime, expected: datetime) -> None:
    assert parse_schedule("cron(0 12 LW * ? *)", "UTC").next_after(after) == expected


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0 12 15W * ? *)", utc(2026, 8, 1), utc(2026, 8, 14, 12)),  # Sat 15th -> Fri 14th
        ("cron(0 12 15W * ? *)", utc(2026, 2, 1), utc(2026, 2, 16, 12)),  # Sun 15th -> Mon 16th
        ("cron(0 12 15W * ? *)", utc(2026, 4, 1), utc(2026, 4, 15, 12)),  # Wed 15th stays
        ("cron(0 12 1W * ? *)", utc(2026, 7, 31), utc(2026, 8, 3, 12)),  # Sat 1st -> Mon 3rd, not Fri 31st
        ("cron(0 12 1W * ? *)", utc(2026, 1, 31), utc(2026, 2, 2, 12)),  # Sun 1st -> Mon 2nd
    ],
)
def test_given_nearest_weekday_then_it_stays_within_the_month(
    expression: str, after: datetime, expected: datetime
) -> None:
    assert parse_schedule(expression, "UTC").next_after(after) == expected


def test_given_6_hash_3_then_it_is_the_third_friday() -> None:
    schedule = parse_schedule("cron(0 9 ? * 6#3 *)", "UTC")

    assert list(schedule.ticks_between(utc(2026, 1, 1), utc(2026, 3, 31))) == [
        utc(2026, 1, 16, 9),
        utc(2026, 2, 20, 9),
        utc(2026, 3, 20, 9),
    ]


def test_given_a_fifth_weekday_then_months_without_one_are_skipped() -> None:
    schedule = parse_schedule("cron(0 9 ? * FRI#5 *)", "UTC")

    # 2026 has five Fridays in January, May, July and October.
    assert list(schedule.ticks_between(utc(2026, 1, 1), utc(2026, 8, 1))) == [
        utc(2026, 1, 30, 9),
        utc(2026, 5, 29, 9),
        utc(2026, 7, 31, 9),
    ]


@pytest.mark.parametrize("day_of_week", ["6L", "FRIL", "fril"])
def test_given_last_friday_then_it_is_the_last_friday_of_each_month(day_of_week: str) -> None:
    schedule = parse_schedule(f"cron(0 17 ? * {day_of_week} *)", "UTC")

    assert list(schedule.ticks_between(utc(2026, 1, 1), utc(2026, 3, 1))) == [
        utc(2026, 1, 30, 17),
        utc(2026, 2, 27, 17),
    ]
    assert schedule.next_after(utc(2026, 7, 1)) == utc(2026, 7, 31, 17)


def test_given_l_alone_in_day_of_week_then_it_means_saturday() -> None:
    schedule = parse_schedule("cron(0 9 ? * L *)", "UTC")

    # 2026-05-09 is a Saturday.
    assert schedule.next_after(utc(2026, 5, 4)) == utc(2026, 5, 9, 9)


# ---------------------------------------------------------------------------------------------------------
# cron(): year field and horizon


def test_given_a_past_year_then_next_after_is_none_and_previous_is_its_last_tick() -> None:
    schedule = parse_schedule("cron(0 7 * * ? 2020)", LONDON)

    assert schedule.next_after(utc(2026, 1, 1)) is None
    assert schedule.previous_at_or_before(utc(2026, 1, 1)) == utc(2020, 12, 31, 7)


def test_given_a_future_year_then_previous_is_none_and_next_is_its_first_tick() -> None:
    schedule = parse_schedule("cron(0 7 * * ? 2030-2031)", "UTC")

    assert schedule.previous_at_or_before(utc(2026, 1, 1)) is None
    assert schedule.next_after(utc(2026, 1, 1)) == utc(2030, 1, 1, 7)


def test_given_an_impossible_date_then_next_after_is_none() -> None:
    assert parse_schedule("cron(0 0 30 2 ? *)", "UTC").next_after(utc(2026, 1, 1)) is None


def test_given_moments_outside_the_horizon_then_none() -> None:
    schedule = parse_schedule("cron(0 0 1 1 ? *)", "Etc/GMT-14")  # POSIX sign: UTC+14

    assert schedule.next_after(datetime(9999, 1, 1, tzinfo=UTC)) is None
    assert schedule.previous_at_or_before(datetime(1, 1, 2, tzinfo=UTC)) is None
    assert schedule.next_after(datetime(1, 1, 2, tzinfo=UTC)) == utc(1969, 12, 31, 10)  # 1970-01-01 +14:00


# ---------------------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("cron(0 7 * * ?)", "exactly 6 fields"),
        ("cron(0 7 * * ? * *)", "exactly 6 fields"),
        ("cron(0 7 1 * MON *)", "cannot both be set"),
        ("cron(0 7 * * * *)", "cannot both be set"),
        ("cron(0 7 ? * ? *)", "cannot both be '\\?'"),
        ("cron(0 24 * * ? *)", "hours: 24 is out of range 0-23"),
        ("cron(60 * * * ? *)", "minutes: 60 is out of range 0-59"),
        ("cron(0 7 * 13 ? *)", "month: 13 is out of range 1-12"),
        ("cron(0 7 ? * 8 *)", "day-of-week: 8 is out of range 1-7"),
        ("cron(0 7 0 * ? *)", "day-of-month: 0 is out of range 1-31"),
        ("cron(0 7 * * ? 1969)", "year: 1969 is out of range 1970-2199"),
        ("cron(0 20-5 * * ? *)", "range '20-5' runs backwards"),
        ("cron(0/0 * * * ? *)", "increment '0'"),
        ("cron(0 7 ? * 3#6 *)", "occurrence"),
        ("cron(? 7 * * ? *)", "only allowed in day-of-month or day-of-week"),
        ("cron(0 7 ? * FUN *)", "'FUN' is not a number or name"),
        ("cron(0 7 1,,2 * ? *)", "empty entry"),
        ("rate(0 minutes)", "positive"),
        ("rate(2 minute)", "plural"),
        ("rate(1 minutes)", "singular"),
        ("rate(5 weeks)", "minute\\(s\\), hour\\(s\\) or day\\(s\\)"),
        ("rate(five minutes)", "rate\\(15 minutes\\)"),
        ("every 5 minutes", "expected 'rate\\(value unit\\)' or 'cron\\(fields\\)'"),
        ("at(2026-01-01T00:00:00)", "not supported"),
    ],
)
def test_given_an_invalid_expression_then_schedule_error_names_the_problem(
    expression: str, problem: str
) -> None:
    with pytest.raises(ScheduleError, match=problem):
        parse_schedule(expression, "UTC")


@pytest.mark.parametrize("timezone", ["Mars/Olympus_Mons", "", "../etc/passwd", "Europe"])
def test_given_an_unknown_time_zone_then_schedule_error(timezone: str) -> None:
    with pytest.raises(ScheduleError, match="time zone"):
        parse_schedule("rate(1 hour)", timezone)


def test_given_an_invalid_schedule_when_constructed_directly_then_schedule_error() -> None:
    with pytest.raises(ScheduleError, match="cannot both be set"):
        Schedule("cron(0 7 1 * MON *)", "UTC")
    with pytest.raises(ScheduleError, match="unknown time zone"):
        Schedule("cron(0 7 * * ? *)", "Nowhere/Town")


def test_given_schedule_error_then_it_is_a_value_error() -> None:
    assert issubclass(ScheduleError, ValueError)


def test_given_two_equal_schedules_then_they_compare_and_hash_equal() -> None:
    first = parse_schedule("cron(0 7 * * ? *)", LONDON)
    second = Schedule("cron(0 7 * * ? *)", LONDON)

    assert first == second
    assert hash(first) == hash(second)
    assert repr(first) == "Schedule(expression='cron(0 7 * * ? *)', timezone='Europe/London')"


# ---------------------------------------------------------------------------------------------------------
# describe()


@pytest.mark.parametrize(
    ("expression", "timezone", "words"),
    [
        ("rate(15 minutes)", LONDON, "every 15 minutes"),
        ("rate(1 minute)", LONDON, "every minute"),
        ("rate(1 hour)", LONDON, "every hour"),
        ("rate(2 hours)", LONDON, "every 2 hours"),
        ("rate(1 day)", LONDON, "every day (24 hours apart)"),
        ("rate(3 days)", LONDON, "every 3 days (72 hours apart)"),
        ("cron(0/15 * * * ? *)", "UTC", "every 15 minutes (UTC)"),
        ("cron(0/15 * * * ? *)", LONDON, "every 15 minutes (Europe/London)"),
        ("cron(0 * * * ? *)", LONDON, "every hour at :00 (Europe/London)"),
        ("cron(0 7 * * ? *)", LONDON, "every day at 07:00 Europe/London"),
        ("cron(0 8 ? * MON-FRI *)", LONDON, "every weekday (Mon\u2013Fri) at 08:00 Europe/London"),
        ("cron(0 9 ? * 2 *)", LONDON, "every Monday at 09:00 Europe/London"),
        ("cron(0 6 1 * ? *)", LONDON, "on day 1 of every month at 06:00 Europe/London"),
        ("cron(0 6 L * ? *)", LONDON, "on the last day of every month at 06:00 Europe/London"),
        ("cron(0 9 ? * 2#1 *)", LONDON, "on the first Monday of every month at 09:00 Europe/London"),
        ("cron(0 17 ? * FRIL *)", "UTC", "on the last Friday of every month at 17:00 UTC"),
        ("cron(0 12 15W * ? *)", "UTC", "on the weekday nearest day 15 of every month at 12:00 UTC"),
        ("cron(0 12 LW * ? *)", "UTC", "on the last weekday of every month at 12:00 UTC"),
        ("cron(30 7,19 ? * SAT,SUN *)", "UTC", "every Saturday and Sunday at 07:30 and 19:30 UTC"),
        ("cron(0 6 1 3-10 ? *)", "UTC", "on day 1 of every month from March to October at 06:00 UTC"),
        ("cron(0 7 * 1 ? 2027)", "UTC", "every day in January 2027 at 07:00 UTC"),
        (
            "cron(0/15 9-17 ? * MON-FRI *)",
            LONDON,
            "every 15 minutes from 09:00 to 17:45, every weekday (Mon\u2013Fri) (Europe/London)",
        ),
    ],
)
def test_given_a_schedule_when_described_then_plain_words(expression: str, timezone: str, words: str) -> None:
    assert parse_schedule(expression, timezone).describe() == words


def test_given_an_expression_without_a_phrasing_when_described_then_it_falls_back_to_the_expression() -> None:
    schedule = parse_schedule("cron(1,2,3,4,5,6,7 * * * ? *)", LONDON)

    assert schedule.describe() == "cron(1,2,3,4,5,6,7 * * * ? *) in Europe/London"


# ---------------------------------------------------------------------------------------------------------
# Properties

_PROPERTY_SCHEDULES = [
    Schedule("cron(0/15 * * * ? *)", LONDON),
    Schedule("cron(30 1 * * ? *)", LONDON),
    Schedule("cron(0 7 * * ? *)", NEW_YORK),
    Schedule("cron(0 6 L * ? *)", "Australia/Sydney"),
    Schedule("cron(0 9 ? * 2#1 *)", "Australia/Lord_Howe"),
    Schedule("cron(0 12 15W * ? *)", "UTC"),
    Schedule("rate(15 minutes)", LONDON),
    Schedule("rate(7 hours)", "UTC"),
]


@settings(max_examples=300, deadline=None)
@given(
    schedule=st.sampled_from(_PROPERTY_SCHEDULES),
    moment=st.datetimes(
        min_value=datetime(2026, 1, 1),  # rate schedules have no ticks before RATE_ANCHOR
        max_value=datetime(2030, 12, 31),
        timezones=st.just(UTC),
    ),
)
def test_property_next_after_is_the_first_tick_after_the_moment(schedule: Schedule, moment: datetime) -> None:
    following = schedule.next_after(moment)

    assert following is not None
    assert following > moment
    assert following.second == 0 and following.microsecond == 0
    assert schedule.previous_at_or_before(following) == following
    assert list(schedule.ticks_between(moment, following)) == [following]
    previous = schedule.previous_at_or_before(moment)
    assert previous is not None and previous <= moment
    assert schedule.next_after(previous) == following
