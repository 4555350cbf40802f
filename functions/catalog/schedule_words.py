"""Renders a parsed schedule in plain words for the status page."""

from __future__ import annotations

from functions.catalog.cron_syntax import DAY_OF_WEEK, FIRST_YEAR, LAST_YEAR, Cron, DaySpec, Rate

__all__ = ["describe"]

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


def describe(parsed: Rate | Cron, timezone: str) -> str | None:
    """Plain words for a parsed schedule, or None when no phrasing reads better than the expression."""
    if isinstance(parsed, Rate):
        return _describe_rate(parsed)
    return _describe_cron(parsed, timezone)


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _is_run(values: tuple[int, ...]) -> bool:
    return len(values) > 1 and values == tuple(range(values[0], values[-1] + 1))


def _describe_rate(rate: Rate) -> str:
    if rate.unit == "day":
        hours = 24 * rate.value
        return (
            "every day (24 hours apart)"
            if rate.value == 1
            else f"every {rate.value} days ({hours} hours apart)"
        )
    return f"every {rate.unit}" if rate.value == 1 else f"every {rate.value} {rate.unit}s"


def _describe_cron(cron: Cron, timezone: str) -> str | None:
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


def _day_phrase(cron: Cron) -> str | None:
    core = _weekday_phrase(cron.days) if cron.days.source == DAY_OF_WEEK.name else _date_phrase(cron.days)
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


def _weekday_phrase(spec: DaySpec) -> tuple[str, bool] | None:
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


def _date_phrase(spec: DaySpec) -> tuple[str, bool] | None:
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
