"""Request and response models of the admin API: they validate input and are the OpenAPI document.

Response models forbid unknown fields, so the published document cannot drift from what is served:
a field added to a status or run view without a model change fails the API tests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from functions.catalog import JOB_NAMES
from functions.data.vocabulary import Health, RunStatus, Trigger

MAX_REASON = 500
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
# The header of every request that starts a run: a repeat with the same key gets the same run.
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Repeat a request with the same key to get the same run instead of a second one",
    ),
]

Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_REASON)]


def _to_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("time is out of range") from None


UtcTime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


def _known_job(name: str) -> str:
    if name not in JOB_NAMES:
        raise ValueError(f"unknown job; known jobs: {', '.join(JOB_NAMES)}")
    return name


KnownJob = Annotated[
    str, AfterValidator(_known_job), WithJsonSchema({"type": "string", "enum": list(JOB_NAMES)})
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests ----------------------------------------------------------------------------------


class RunNowRequest(_Model):
    reason: Reason = Field(description="Why the job is run now; recorded with the run.")


class PauseRequest(_Model):
    reason: Reason = Field(description="Why the schedule is paused; shown on the job's status.")


class ResumeRequest(_Model):
    reason: Reason | None = Field(default=None, description="Why the schedule is resumed (optional).")


class ReleaseRequest(_Model):
    reason: Reason = Field(description="Why these emails may be sent again (e.g. 'checked SES: not sent').")
    claims: list[Annotated[str, StringConstraints(min_length=1, max_length=300)]] | None = Field(
        default=None,
        max_length=50,
        description="The `claim` keys to release; all of the run's unconfirmed deliveries when omitted.",
    )


class CancelRunRequest(_Model):
    reason: Reason = Field(description="Why the run is stopped; shown on the run and in the job's activity.")


# --- runs --------------------------------------------------------------------------------------


class ReleaseParkedRequest(_Model):
    reason: Reason = Field(description="Why the items may be tried again (e.g. 'sender verified in SES').")
    items: list[Annotated[str, StringConstraints(min_length=1, max_length=300)]] | None = Field(
        default=None,
        max_length=50,
        description="Item keys from the run's `item_errors`; all the items the run lists when omitted.",
    )


class RetryRequest(_Model):
    reason: Reason = Field(description="What was fixed; recorded with the new run and in the job's activity.")


class CallerView(_Model):
    sub: str
    username: str | None
    email: str | None
    groups: list[str]


class RunErrorView(_Model):
    type: str
    message: str
    stack: str | None
    where: str | None


class ItemErrorView(_Model):
    key: str
    reason: str


class UnconfirmedView(_Model):
    claim: str = Field(description="What the email is (the send ledger's key)")
    item: str = Field(description="The run's item that wanted to send it")
    reason: str


class ReleaseView(_Model):
    by: str
    at: Timestamp
    reason: str
    claims: list[str]


class CancelView(_Model):
    by: str
    at: Timestamp
    reason: str


class LogsView(_Model):
    log_group: str | None
    log_stream: str | None
    request_id: str | None
    link: str | None


class RunSummary(_Model):
    run_id: str
    job: str
    status: RunStatus
    trigger: Trigger
    scheduled_for: Timestamp | None
    queued_at: Timestamp | None
    started_at: Timestamp | None
    finished_at: Timestamp | None
    duration_ms: int | None
    counts: dict[str, int] = Field(
        description="processed, succeeded, failed, skipped, plus job-specific counts"
    )
    error_type: str | None
    error_summary: str | None = Field(
        description="One line: the error, or for a run with failed items how many failed and why"
    )
    triggered_by: str | None


class ReasonGroup(_Model):
    reason: str = Field(description="The cause, with addresses replaced by <address> so items group")
    count: int
    keys: list[str] = Field(description="A few of the items that failed for this reason")


class RunDetail(RunSummary):
    deadline_at: Timestamp | None
    expires_at: Timestamp | None
    segment: int
    cursor: str | None
    blocked_by: str | None
    skip_reason: str | None = Field(description="Why a SKIPPED tick did nothing (paused, or a run in flight)")
    reason: str | None
    caller: CallerView | None
    error: RunErrorView | None
    item_errors: list[ItemErrorView]
    unconfirmed: list[UnconfirmedView] = Field(
        description="Emails that may or may not have gone out: never resent until released"
    )
    releases: list[ReleaseView] = Field(description="Who released unconfirmed emails of this run, when, why")
    cancel: CancelView | None = Field(
        default=None,
        description="Set once an admin asked the run to stop: it ends CANCELLED at its next checkpoint",
    )
    failures_by_reason: list[ReasonGroup] = Field(description="Failed items grouped by cause, largest first")
    logs: LogsView | None
    retry_of: str | None = Field(
        default=None, description="The run whose failed items this manual run retries (POST /runs/{id}/retry)"
    )
    retried_by: list[str] = Field(
        default_factory=list, description="The runs started to retry this run's failed items, oldest first"
    )
    ran_late_as: str | None = Field(
        description="For a MISSED tick: the run its delivery started after all, arriving past its grace"
    )


class ReleaseResult(_Model):
    released: list[str] = Field(description="Claims the next run of the job may send again")
    not_released: list[ItemErrorView] = Field(description="Claims left as they are, each with the reason")
    run: RunDetail


class ReleasedItemView(_Model):
    key: str
    detail: str = Field(description="What changed for the item")


class ParkedReleaseResult(_Model):
    released: list[ReleasedItemView] = Field(description="Items the job's next run works on again")
    not_released: list[ItemErrorView] = Field(
        description="Items left as they are, each with the reason (changed since, not parked, …)"
    )
    summary: str = Field(description="e.g. `released 3 of 4 items`, as recorded in the job's activity")
    run: RunDetail = Field(description="The run whose items were released")


class RetryAccepted(_Model):
    run: RunDetail = Field(description="The new manual run retrying the items")
    retried_run_id: str
    released: list[ReleasedItemView]
    not_released: list[ItemErrorView]
    summary: str | None = Field(description="What was released; null when the request repeated a key")
    repeated: bool = Field(description="True when an earlier request with this Idempotency-Key did the work")


class CancelAccepted(_Model):
    run: RunDetail


class SearchView(_Model):
    kind: str = Field(description="`run_id` (a direct read) or `item` (failed items searched)")
    runs_read: int = Field(description="Runs read by this request")
    since: Timestamp = Field(description="Start of the window searched")


class RunPage(_Model):
    runs: list[RunSummary]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next (older) page; null on the last."
    )
    search: SearchView | None = Field(default=None, description="Set when `q` was given")


class RunAccepted(_Model):
    run: RunDetail


# --- jobs --------------------------------------------------------------------------------------


class ScheduleView(_Model):
    expression: str
    timezone: str
    description: str
    next_run_at: Timestamp | None
    grace_minutes: int


class PauseView(_Model):
    at: Timestamp | None
    by: str | None
    reason: str | None


class RunEvent(_Model):
    run_id: str
    at: Timestamp


class RunStats(_Model):
    window_days: int
    since: Timestamp
    complete: bool = Field(description="False when the window held more runs than one read takes")
    runs: int = Field(
        description="Finished runs and MISSED ticks in the window (not CANCELLED runs: an admin stopped them)"
    )
    by_status: dict[str, int] = Field(
        description="Runs in the window per status: finished, MISSED, SKIPPED and CANCELLED (on its own)"
    )
    success_rate: float | None = Field(
        description="SUCCEEDED / (finished + MISSED); PARTIAL and MISSED are not successes"
    )
    p50_duration_ms: int | None
    p95_duration_ms: int | None


class DayTrend(_Model):
    date: str = Field(description="A day in the job's time zone, YYYY-MM-DD")
    by_status: dict[str, int]
    p50_duration_ms: int | None
    p95_duration_ms: int | None


class ProblemView(_Model):
    run_id: str
    status: RunStatus = Field(description="FAILED, TIMED_OUT, PARTIAL or MISSED")
    trigger: Trigger
    at: Timestamp | None
    error_type: str | None
    message: str
    where: str | None
    failed_items: int
    failures_by_reason: list[ReasonGroup]
    logs_link: str | None


class LateView(_Model):
    missed_tick: Timestamp = Field(description="The scheduled time that started no run")
    grace_minutes: int
    checks: list[str] = Field(description="What to check, most likely first")


class IncidentAlertView(_Model):
    at: Timestamp
    subject: str
    error: str | None = Field(description="Why the alert did not go out; null: the alert topic accepted it")


class IncidentView(_Model):
    incident_id: str
    job: str
    kind: str = Field(description="LATE, FAILING or TIMED_OUT")
    open: bool
    started_at: Timestamp
    ended_at: Timestamp | None
    duration_ms: int | None = Field(description="From start to end; null while open")
    run_id: str | None = Field(description="The run (or MISSED row) that opened it")
    missed_tick: Timestamp | None
    summary: str | None = Field(description="One line: what opened it")
    end_summary: str | None = Field(description="How it ended: recovered, or turned into another kind")
    alerts: list[IncidentAlertView] = Field(description="Alerts sent for it, the recovery notice included")


class IncidentPage(_Model):
    incidents: list[IncidentView] = Field(description="Newest first")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next (older) page; null on the last"
    )


class JobStatus(_Model):
    job: str
    title: str
    description: str
    health: Health
    late: LateView | None = Field(description="Set while LATE: the missed tick and what to check")
    schedule: ScheduleView
    paused: PauseView | None
    in_flight_run_id: str | None
    last_run: RunSummary | None
    last_success: RunEvent | None
    last_failure: RunEvent | None = Field(description="The last FAILED or TIMED_OUT run")
    last_problem: ProblemView | None = Field(
        description="The last FAILED, TIMED_OUT, PARTIAL or MISSED run: read it before re-running"
    )
    consecutive_failures: int
    incident: IncidentView | None = Field(description="The job's open incident, if any")
    stats: RunStats = Field(description="Over the last `window_days` days, read by key range")
    recent_runs: list[RunSummary] = Field(description="Newest first.")


class ActivityView(_Model):
    action: str = Field(
        description="PAUSE, RESUME, RUN_NOW, RETRY, RELEASE_PARKED, RELEASE_UNCONFIRMED, CANCEL"
    )
    at: Timestamp
    by: str = Field(description="The admin's username (or Cognito sub)")
    reason: str | None
    run_id: str | None = Field(description="The run the action started or acted on")
    detail: str | None = Field(description="A short line, e.g. 'released 3 of 4 unconfirmed emails'")


class ActivityPage(_Model):
    entries: list[ActivityView] = Field(description="Newest first")
    next_cursor: str | None = Field(description="Pass as `cursor` for older entries; null on the last page.")


class JobDetail(JobStatus):
    activity: list[ActivityView] = Field(
        default_factory=list, description="The latest admin actions on the job, newest first"
    )
    last_failure_run: RunDetail | None = Field(description="The last failed run, to read before re-running.")
    last_problem_run: RunDetail | None = Field(description="The last problem run in full.")
    trends: list[DayTrend] = Field(description="Per day of the window, oldest first")


class JobList(_Model):
    jobs: list[JobStatus]
    generated_at: Timestamp


# --- errors ------------------------------------------------------------------------------------


class ErrorInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str = Field(description="UPPER_SNAKE error code, e.g. RUN_IN_FLIGHT")
    message: str


class ErrorBody(_Model):
    error: ErrorInfo
