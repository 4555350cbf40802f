"""The JSON import format of platform data, one pydantic model per record kind (docs/platform-data.md).

Times are ISO 8601 with a zone ("2026-11-28T09:00:00Z") or relative to the import ("now", "now+15m",
"now-2h", "now+3d"); dates are "YYYY-MM-DD" or relative ("today", "today+30d", the import's UTC date), so a
demo file stays current whenever it is loaded. Fields a job maintains (an enrollment's step, a follow-up's
status) are optional: left out, an existing record keeps its value and a new one starts at the default.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from functions.automations.delivery import is_email_address
from functions.automations.items import DEFAULT_TIMEZONE
from functions.automations.sequences import TEMPLATE_FIELDS
from functions.automations.templates import unknown_placeholders
from functions.clock import parse_iso

_RELATIVE = re.compile(r"^(now|today)\s*(?:([+-])\s*(\d+)\s*([mhd]))?$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def _reference_time(info: ValidationInfo) -> datetime:
    context = info.context or {}
    now = context.get("now")
    if not isinstance(now, datetime):
        raise ValueError("relative times need the import's clock")
    return now


def _relative(text: str, anchor: str, info: ValidationInfo) -> timedelta | None:
    match = _RELATIVE.match(text.strip())
    if match is None or match.group(1) != anchor:
        return None
    _, sign, amount, unit = match.groups()
    if amount is None:
        return timedelta()
    delta = timedelta(**{_UNITS[unit]: int(amount)})
    if anchor == "today" and unit != "d":
        raise ValueError(f"{text!r}: a relative date moves in whole days (today+30d)")
    return -delta if sign == "-" else delta


def _moment(value: Any, info: ValidationInfo) -> datetime:
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 time such as 2026-11-28T09:00:00Z, or now+15m")
    delta = _relative(value, "now", info)
    if delta is not None:
        return _reference_time(info) + delta
    try:
        return parse_iso(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO 8601 time with a zone (2026-11-28T09:00:00Z), or now+15m"
        ) from None


def _day(value: Any, info: ValidationInfo) -> date:
    if not isinstance(value, str):
        raise ValueError("expected a date such as 2026-12-31, or today+30d")
    delta = _relative(value, "today", info)
    if delta is not None:
        return _reference_time(info).astimezone(UTC).date() + delta
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD), or today+30d") from None


def _email(value: str) -> str:
    if not is_email_address(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone such as Europe/London") from None
    return value


def _step_template(value: str) -> str:
    unknown = unknown_placeholders(value, TEMPLATE_FIELDS)
    if unknown:
        names = ", ".join("{" + name + "}" for name in unknown)
        allowed = ", ".join("{" + name + "}" for name in TEMPLATE_FIELDS)
        raise ValueError(f"unknown placeholder {names}; a step may use {allowed}")
    return value


Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
EmailAddress = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_email)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Moment = Annotated[datetime, BeforeValidator(_moment)]
Day = Annotated[date, BeforeValidator(_day)]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
StepTemplate = Annotated[
    str, StringConstraints(min_length=1, max_length=20000), AfterValidator(_step_template)
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImportRecord(_Strict):
    """Every record kind has an id, unique within its kind."""

    id: Id


class UserRecord(ImportRecord):
    name: Text
    email: EmailAddress
    timezone: TimeZone | None = None


class ContactRecord(ImportRecord):
    email: EmailAddress
    name: Text
    company: Text | None = None
    owner_id: Id | None = None
    unsubscribed: bool | None = None
    bounced: bool | None = None
    replied: bool | None = None


class StepRecord(_Strict):
    delay_minutes: int = Field(ge=0, le=366 * 24 * 60)
    subject: StepTemplate
    body: StepTemplate


class SequenceRecord(ImportRecord):
    name: Text
    steps: list[StepRecord] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _later_steps_wait(self) -> SequenceRecord:
        # One run sends one step per enrollment; a zero delay after the first step would mean two at once.
        for number, step in enumerate(self.steps[1:], start=2):
            if step.delay_minutes < 1:
                raise ValueError(f"step {number}: delay_minutes must be at least 1 after the first step")
        return self


class EnrollmentRecord(ImportRecord):
    contact_id: Id
    sequence_id: Id
    current_step: int | None = Field(default=None, ge=0)
    next_send_at: Moment | None = None
    status: Literal["active", "completed", "stopped"] | None = None


class FollowUpRecord(ImportRecord):
    owner_id: Id
    contact_id: Id | None = None
    deal_id: Id | None = None
    due_at: Moment
    note: str = Field(default="", max_length=5000)
    status: Literal["open", "reminded", "done"] | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> FollowUpRecord:
        if (self.contact_id is None) == (self.deal_id is None):
            raise ValueError("give exactly one of contact_id or deal_id")
        return self


class DealRecord(ImportRecord):
    name: Text
    stage: Text
    amount: Decimal = Field(ge=0, max_digits=15, decimal_places=2)
    owner_id: Id
    close_date: Day | None = None


class SubscriptionRecord(ImportRecord):
    customer: Text
    owner_id: Id
    contact_email: EmailAddress
    contact_name: Text | None = None
    renewal_date: Day
    reminder_offsets: list[Annotated[int, Field(ge=1, le=365)]] | None = Field(
        default=None, min_length=1, max_length=10
    )
    timezone: TimeZone | None = None

    @model_validator(mode="after")
    def _distinct_offsets(self) -> SubscriptionRecord:
        if self.reminder_offsets and len(set(self.reminder_offsets)) != len(self.reminder_offsets):
            raise ValueError("reminder_offsets must not repeat a day")
        return self


class ReportRecord(ImportRecord):
    name: Text
    type: Literal["pipeline_summary", "upcoming_renewals", "automation_health"]
    frequency: Literal["daily", "weekly", "monthly"]
    timezone: TimeZone = DEFAULT_TIMEZONE
    hour: int = Field(default=7, ge=0, le=23)
    weekday: Weekday = "monday"
    day_of_month: int = Field(default=1, ge=1, le=28)
    recipients: list[EmailAddress] = Field(min_length=1, max_length=50)
    status: Literal["active", "paused"] | None = None
    next_due_at: Moment | None = None
