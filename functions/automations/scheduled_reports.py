"""scheduled-reports: builds every due report, stores it (CSV + HTML in S3) and emails recipients a link.

A report definition is due at its next_due_at. It covers the period ending then (see cadence) and is sent to
each recipient once per period (claim report + period + recipient): a retry after one recipient failed
rebuilds the files and sends only to that recipient. Afterwards the report is due at its next time after now,
computed in its time zone, so missed periods are not sent late in a burst.
"""

from __future__ import annotations

from functools import cache, partial

from functions.automations.cadence import Cadence, Period
from functions.automations.delivery import compose
from functions.automations.items import Sends, act_on, due_records, local_time, unreadable
from functions.automations.report_render import to_csv, to_html
from functions.automations.report_storage import LINK_LIFETIME, ReportStorage, StoredReport
from functions.automations.reports import ReportRequest, build
from functions.data import platform_store
from functions.data.platform import ReportModel, ReportType
from functions.data.run_log import RunLog
from functions.lifecycle.context import ItemScope, RunContext
from functions.settings import get_settings

# Each report reads its data and writes two files: a few per page keep every page well inside the margin.
PAGE_SIZE = 5

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
        act_on(
            run, f"report:{report.id}:{period.label}", report, partial(_park, report, period, run), deliver
        )
    return next_cursor


def _deliver(item: ItemScope, *, run: RunContext, report: ReportModel, period: Period) -> None:
    request = ReportRequest(ReportType(report.report_type), report.name, period, report.timezone, run.now())
    table = build(request, _run_log())
    stored = STORAGE.store(report.id, period.label, report.report_type, to_csv(table), to_html(table))
    item.count("reports_built")
    sends = Sends(run)
    for recipient in report.recipients:
        email = compose((recipient,), SUBJECT, BODY, _values(report, period, stored, run))
        sends.send(f"report:{report.id}:{period.label}:{recipient}", email, recipient)
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
