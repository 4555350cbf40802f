"""The three scheduled reports, built from platform data (and the run log) as tables ready to render."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from functions.automations.cadence import Period
from functions.automations.items import in_days
from functions.automations.renewal_schedule import local_date, renewal_day
from functions.catalog import JOB_NAMES
from functions.data import platform_store
from functions.data.models import RunModel
from functions.data.platform import DealModel, ListKey, ReportType, SubscriptionModel, UserModel
from functions.data.run_log import RunLog
from functions.data.run_types import RunQuery
from functions.data.vocabulary import RunStatus

RENEWAL_WINDOWS = (30, 60, 90)
_RUN_PAGE = 100


@dataclass(frozen=True)
class ReportRequest:
    report_type: ReportType
    name: str
    period: Period
    timezone: str
    now: datetime


@dataclass(frozen=True)
class ReportTable:
    title: str
    subtitle: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    summary: list[tuple[str, str]] = field(default_factory=list)


def build(request: ReportRequest, run_log: RunLog) -> ReportTable:
    if request.report_type is ReportType.PIPELINE_SUMMARY:
        return pipeline_summary(request)
    if request.report_type is ReportType.UPCOMING_RENEWALS:
        return upcoming_renewals(request)
    return automation_health(request, run_log)


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def pipeline_summary(request: ReportRequest) -> ReportTable:
    """Open pipeline by stage as it stands when the report is built: how many deals and their total amount."""
    counts: dict[str, int] = defaultdict(int)
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for deal in platform_store.listed(DealModel, ListKey.DEAL.value):
        counts[deal.stage] += 1
        amounts[deal.stage] += Decimal(str(deal.amount))
    rows: list[tuple[str, ...]] = [
        (stage, str(counts[stage]), money(amounts[stage])) for stage in sorted(counts)
    ]
    return ReportTable(
        title=request.name,
        subtitle=f"Pipeline summary, {request.period.label}",
        columns=("stage", "deals", "amount"),
        rows=rows,
        summary=[
            ("Deals", str(sum(counts.values()))),
            ("Total amount", money(sum(amounts.values(), Decimal()))),
        ],
    )


def _window(days: int) -> str:
    """ "within 30 days", "31-60 days", "61-90 days": the window a renewal `days` away falls in."""
    lower = 0
    for upper in RENEWAL_WINDOWS:
        if days <= upper:
            break
        lower = upper
    return f"within {upper} days" if lower == 0 else f"{lower + 1}-{upper} days"


def upcoming_renewals(request: ReportRequest) -> ReportTable:
    """Subscriptions renewing in the next 30, 60 and 90 days from the report's day."""
    today = local_date(request.now, request.timezone)
    last = today + timedelta(days=RENEWAL_WINDOWS[-1])
    subscriptions = platform_store.listed(
        SubscriptionModel, ListKey.SUBSCRIPTION.value, today.isoformat(), f"{last.isoformat()}#~"
    )
    owners = platform_store.get_many(UserModel, [s.owner_id for s in subscriptions])
    rows: list[tuple[str, ...]] = []
    per_window: dict[str, int] = {_window(days): 0 for days in RENEWAL_WINDOWS}
    for subscription in subscriptions:
        days = (renewal_day(subscription) - today).days
        owner = owners.get(subscription.owner_id)
        per_window[_window(days)] += 1
        rows.append(
            (
                _window(days),
                subscription.renewal_date,
                in_days(days),
                subscription.customer,
                owner.name if owner else subscription.owner_id,
                subscription.contact_email,
            )
        )
    return ReportTable(
        title=request.name,
        subtitle=f"Renewals from {today.isoformat()} ({request.timezone})",
        columns=("window", "renewal_date", "renews", "customer", "owner", "contact_email"),
        rows=rows,
        summary=[(f"Renewing {window}", str(count)) for window, count in per_window.items()],
    )


def _runs_in(period: Period, run_log: RunLog) -> list[RunModel]:
    runs: list[RunModel] = []
    before: str | None = None
    while True:
        query = RunQuery(
            jobs=JOB_NAMES,
            since=period.start,
            until=period.end - timedelta(milliseconds=1),
            before_run_id=before,
            limit=_RUN_PAGE,
        )
        page = run_log.query_runs(query)
        runs.extend(page.runs)
        if page.last_run_id is None:
            return runs
        before = page.last_run_id


def automation_health(request: ReportRequest, run_log: RunLog) -> ReportTable:
    """Per job over the period: runs by outcome, failed items and durations, from the run log's indexes."""
    by_job: dict[str, list[RunModel]] = defaultdict(list)
    for run in _runs_in(request.period, run_log):
        by_job[run.job].append(run)
    rows: list[tuple[str, ...]] = []
    for job in JOB_NAMES:
        runs = by_job[job]
        statuses = [RunStatus(run.status) for run in runs]
        durations = [int(run.duration_ms) for run in runs if run.duration_ms is not None]
        rows.append(
            (
                job,
                str(len(runs)),
                str(statuses.count(RunStatus.SUCCEEDED)),
                str(statuses.count(RunStatus.PARTIAL)),
                str(sum(status.is_failure for status in statuses)),
                str(statuses.count(RunStatus.SKIPPED)),
                str(sum(run.count_values().get("failed", 0) for run in runs)),
                str(sum(durations) // len(durations)) if durations else "",
                str(max(durations)) if durations else "",
            )
        )
    total = sum(int(row[1]) for row in rows)
    failing = sum(int(row[4]) for row in rows)
    return ReportTable(
        title=request.name,
        subtitle=f"Automation health, {request.period.label}",
        columns=(
            "job", "runs", "succeeded", "partial", "failed", "skipped", "items_failed", "avg_duration_ms",
            "max_duration_ms",
        ),
        rows=rows,
        summary=[("Runs", str(total)), ("Failed or timed out", str(failing))],
    )  # fmt: skip
