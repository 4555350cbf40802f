"""The job catalog: the one place each automation is defined.

Infra (functions, schedules, alarms), the API (status), the watchdog (health) and the local runtime
(scheduler, Lambda emulation) all read these definitions; none of them repeats a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from functions.catalog.schedule import Schedule, parse_schedule


class UnknownJobError(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown job '{name}'; known jobs: {', '.join(JOB_NAMES)}")
        self.name = name


@dataclass(frozen=True)
class JobDefinition:
    name: str
    title: str
    description: str
    schedule_expression: str
    timezone: str
    timeout_seconds: int
    memory_mb: int
    grace_minutes: int
    item_retry_limit: int
    handler: str

    @cached_property
    def schedule(self) -> Schedule:
        return parse_schedule(self.schedule_expression, self.timezone)

    @property
    def timeout(self) -> timedelta:
        return timedelta(seconds=self.timeout_seconds)

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.grace_minutes)


CATALOG: tuple[JobDefinition, ...] = (
    JobDefinition(
        name="sequences",
        title="Sequences",
        description=(
            "Sends the next due step of every active sequence enrollment; completes an enrollment after its "
            "last step and stops it when the contact replied, unsubscribed or bounced."
        ),
        schedule_expression="cron(0/15 * * * ? *)",
        timezone="Europe/London",
        timeout_seconds=300,
        memory_mb=512,
        grace_minutes=10,
        item_retry_limit=3,
        handler="functions.jobs.sequences.handler",
    ),
    JobDefinition(
        name="follow-ups",
        title="Follow-ups",
        description=(
            "Finds follow-ups that came due, reminds their owner by email and marks each one reminded."
        ),
        schedule_expression="cron(0 * * * ? *)",
        timezone="Europe/London",
        timeout_seconds=300,
        memory_mb=256,
        grace_minutes=20,
        item_retry_limit=3,
        handler="functions.jobs.follow_ups.handler",
    ),
    JobDefinition(
        name="scheduled-reports",
        title="Scheduled reports",
        description=(
            "Builds every due report (pipeline summary, upcoming renewals, automation health), stores it as "
            "CSV and HTML and emails recipients a link; then sets its next due time."
        ),
        schedule_expression="cron(0 7 * * ? *)",
        timezone="Europe/London",
        timeout_seconds=900,
        memory_mb=1024,
        grace_minutes=60,
        item_retry_limit=3,
        handler="functions.jobs.scheduled_reports.handler",
    ),
    JobDefinition(
        name="renewal-reminders",
        title="Renewal reminders",
        description=(
            "Emails the account owner and the customer contact when a subscription or contract renews in "
            "30, 14, 7 or 1 days (offsets configurable per record), once per offset."
        ),
        schedule_expression="cron(0 8 * * ? *)",
        timezone="Europe/London",
        timeout_seconds=300,
        memory_mb=512,
        grace_minutes=60,
        item_retry_limit=3,
        handler="functions.jobs.renewal_reminders.handler",
    ),
)

JOB_NAMES: tuple[str, ...] = tuple(job.name for job in CATALOG)
_BY_NAME = {job.name: job for job in CATALOG}


def get_job(name: str) -> JobDefinition:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownJobError(name) from None


# The watchdog is not an automation (it is never run now, never paused), but it is scheduled like one.
WATCHDOG_SCHEDULE_EXPRESSION = "rate(5 minutes)"
WATCHDOG_TIMEOUT_SECONDS = 120
