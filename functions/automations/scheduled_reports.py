"""scheduled-reports: builds every due report, stores it (CSV + HTML in S3) and emails recipients a link.

A report definition is due at its next_due_at. It covers the period ending then (see cadence) and is sent to
each recipient once per period (claim report + period + recipient): a retry after one recipient failed
rebuilds the files and sends only to that recipient. Afterwards the report is due at its next time after now,
computed in its time zone, so missed periods are not sent late in a burst.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache, partial
from zoneinfo import ZoneInfo

from functions.automations.cadence import Cadence, Frequency, Period
from functions.automations.delivery import compose
from functions.automations.items import Sends, act_on, due_records, local_time, unreadable
from functions.automations.release import (
    ReleaseOutcome,
    Revival,
    UnknownItemKeyError,
    failed_not_parked,
    release,
    retry_detail,
)
from functions.automations.report_render import to_csv, to_html
from functions.automations.report_storage import LINK_LIFETIME, ReportStorage, StoredReport
from functions.automations.reports import ReportRequest, build
from functions.data import platform_store
from functions.data.platform import ReportModel, ReportStatus, ReportType
from functions.data.retry import Backoff
from functions.data.run_log import RunLog
from functions.lifecycle.context import ItemScope, RunContext
from functions.settings import get_settings

# Each report reads its data and writes two files: a few per page keep every page well inside the margin.
PAGE_SIZE = 5
JOB = "scheduled-reports"
# "report:<id>:<period label>" for a report; "report:<id>" for an unreadable record.
_KEY = re.compile(r"report:(?P<id>[^:]+)(?::(?P<period>\d{4}-(?:W\d{2}|\d{2}(?:-\d{2})?)))?")

SUBJECT = "{report_name}: {period}"
BODY = """Hello,

Your scheduled report "{report_name}" for {period} is ready (built {built}).

Read it: {html_link}
Spreadsheet (CSV): {csv_link}

The links work for up to {link_days} days.
"""

STORAGE = ReportStorage()


@cache
def _run_log() -> RunLog:
    return RunLog(get_settings().retention_days)


def work(run: RunContext, cursor: str | None, *, page_size: int = PAGE_SIZE) -> str | None:
    reports, next_cursor = due_records(run, cursor, ReportModel, page_size)
    for report in reports:
        try:
            period = Cadence.of(report).period_ending(report.due_from())
        except (ValueError, LookupError) as error:
            unreadable(run, report, error)
            continue
        deliver = partial(_deliver, run=run, report=report, period=period)
        act_on(run, item_key(report.id, period.label), report, partial(_park, report, period, run), deliver)
    return next_cursor


def _deliver(item: ItemScope, *, run: RunContext, report: ReportModel, period: Period) -> None:
    request = ReportRequest(ReportType(report.report_type), report.name, period, report.timezone, run.now())
    table = build(request, _run_log())
    stored = STORAGE.store(report.id, period.label, report.report_type, to_csv(table), to_html(table))
    item.count("reports_built")
    sends = Sends(run)
    for recipient in report.recipients:
        email = compose((recipient,), SUBJECT, BODY, _values(report, period, stored, run))
        sends.send(_claim_key(report, period.label, recipient), email, recipient)
    if not sends.settle(item, "report", "report", counter=None):
        return
    next_due = Cadence.of(report).next_due_after(run.now())
    platform_store.update(
        report,
        [
            ReportModel.next_due_at.set(next_due),
            ReportModel.last_period.set(period.label),
            ReportModel.last_built_at.set(run.now()),
            ReportModel.last_report_key.set(stored.html_key),
            ReportModel.failures.set(0),
            ReportModel.last_error.remove(),
            *ReportModel.due_actions(next_due),
        ],
    )


def _values(
    report: ReportModel, period: Period, stored: StoredReport, run: RunContext
) -> dict[str, str | None]:
    return {
        "report_name": report.name,
        "period": period.label,
        "built": local_time(run.now(), report.timezone),
        "html_link": stored.html_link,
        "csv_link": stored.csv_link,
        "link_days": str(LINK_LIFETIME.days),
    }


def _park(report: ReportModel, period: Period, run: RunContext) -> None:
    """This period is given up (its error stays on the record); the report goes on with the next one."""
    next_due = Cadence.of(report).next_due_after(run.now())
    platform_store.force_update(
        report,
        [
            ReportModel.next_due_at.set(next_due),
            ReportModel.failed_period.set(period.label),
            ReportModel.failures.set(0),
            *ReportModel.due_actions(next_due),
        ],
    )


def _claim_key(report: ReportModel, period_label: str, recipient: str) -> str:
    return f"report:{report.id}:{period_label}:{recipient}"


def item_key(report_id: str, period_label: str) -> str:
    return f"report:{report_id}:{period_label}"


@dataclass(frozen=True)
class ReportItem:
    report_id: str
    # None for an item that failed before its period could be read (an unreadable record).
    period: str | None


def parse_key(key: str) -> ReportItem:
    """The report and period label in an item key of this job's runs."""
    match = _KEY.fullmatch(key)
    if match is None:
        raise UnknownItemKeyError(JOB, key)
    return ReportItem(match["id"], match["period"])


def period_due(report: ReportModel, label: str) -> datetime:
    """When the period labelled `label` was due: the end of that period, on the report's cadence."""
    cadence = Cadence.of(report)
    refused = ValueError(f"'{label}' is not a period of report '{report.id}'")
    try:
        if cadence.frequency is Frequency.DAILY:
            start = date.fromisoformat(label)
        elif cadence.frequency is Frequency.WEEKLY:
            year, week = label.split("-W")
            start = date.fromisocalendar(int(year), int(week), cadence.weekday + 1)
        else:
            year, month = label.split("-")
            start = date(int(year), int(month), cadence.day_of_month)
    except ValueError:
        raise refused from None
    # The first due time after the period's first day is the period's end.
    end = cadence.next_due_after(datetime.combine(start, time(23, 59, 59), tzinfo=ZoneInfo(report.timezone)))
    if cadence.period_ending(end).label != label:
        raise refused
    return end


def release_parked(key: str, now: datetime, backoff: Backoff) -> ReleaseOutcome:
    """Makes a given-up period due again (at its own end, so the next run builds that very period), unless
    the report is paused, was delivered for it since, or another period is waiting to run first."""
    item = parse_key(key)

    def plan(report: ReportModel) -> Revival | str:
        if report.status != ReportStatus.ACTIVE.value:
            return f"the report is {report.status} now: not revived"
        if item.period is None:
            if report.due_at is None and report.failures:
                return Revival(due_at=now, detail=retry_detail(report, parked=True))
            return failed_not_parked(report, now, [])
        try:
            pending = Cadence.of(report).period_ending(report.due_from()).label if report.due_at else None
            due = period_due(report, item.period)
        except (ValueError, LookupError) as error:
            return f"its period cannot be read ({error}): not revived"
        claims = [_claim_key(report, item.period, recipient) for recipient in report.recipients]
        if pending == item.period:
            return failed_not_parked(report, now, claims)
        if report.failed_period != item.period:
            return f"period {item.period} is not given up (delivered or re-imported since): not revived"
        if report.due_at is not None and report.due_from() <= now:
            return f"period {pending} is due and has not run yet: release this one after it ran"
        return Revival(
            due_at=due,
            detail=retry_detail(report, parked=True),
            claims=claims,
            actions=[ReportModel.failed_period.remove(), ReportModel.next_due_at.set(due)],
            condition=ReportModel.failed_period == item.period,
        )

    return release(key, lambda: platform_store.get_one(ReportModel, item.report_id), plan, backoff)
