"""Missed ticks and incidents in a real browser: a LATE job's MISSED rows in the logs and on its page, the
open incident on the status page, the job's incident history, and axe on each.

The job is made late for real: its state is seeded through the data layer against the runtime's moto (it
has been tracked for hours, so ticks are owed that never ran), then the watchdog's own code makes its pass
against that same data, as the runtime's five-minute watchdog schedule would.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e import test_portal as shared
from tests.e2e import test_portal_diagnosis as diagnosis
from tests.e2e.test_portal import _sign_in
from tests.e2e.test_portal_diagnosis import _axe_blocking, _get_json, _wait_status
from tests.support.local_runtime import LocalRuntime

browser = shared.browser
local_runtime = shared.local_runtime
page = shared.page
axe_page = diagnosis.axe_page

pytestmark = pytest.mark.e2e

LATE_JOB = "follow-ups"  # hourly, 20 minutes' grace


class _Alerts:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def publish(self, subject: str, body: dict[str, Any]) -> None:
        self.sent.append(subject)


@contextmanager
def _runtime_data(runtime: LocalRuntime) -> Iterator[None]:
    """The data layer pointed at the runtime's moto for the duration (pynamodb connects on next use)."""
    from pynamodb.models import Model

    def forget_connections() -> None:
        pending = list(Model.__subclasses__())
        while pending:
            model = pending.pop()
            model._connection = None
            pending.extend(model.__subclasses__())

    saved = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = runtime.moto_url
    forget_connections()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        else:
            os.environ["AWS_ENDPOINT_URL"] = saved
        forget_connections()


@pytest.fixture(scope="module")
def late(local_runtime) -> dict[str, Any]:
    """follow-ups tracked since 3 hours ago with none of those ticks run, then one watchdog pass."""
    from functions.catalog import CATALOG
    from functions.data.models import JobStateModel, job_state_key
    from functions.data.run_log import RunLog
    from functions.lifecycle.watchdog import watch

    alerts = _Alerts()
    now = datetime.now(UTC)
    with _runtime_data(local_runtime):
        JobStateModel(job_state_key(LATE_JOB)).update(
            actions=[
                JobStateModel.job.set(LATE_JOB),
                JobStateModel.tracking_since.set(now - timedelta(hours=3)),
                JobStateModel.ticks_checked_until.remove(),
            ]
        )
        report = watch(CATALOG, RunLog(retention_days=90), alerts, now)
    assert report[LATE_JOB]["health"] == "LATE", report
    assert report[LATE_JOB]["missed"], report
    assert f"DevSphere Automation: {LATE_JOB} is LATE" in alerts.sent
    missed = _get_json(local_runtime, f"/runs?job={LATE_JOB}&status=MISSED")["runs"]
    assert missed, "the API lists no MISSED row"
    return {"missed": missed, "report": report[LATE_JOB]}


def test_given_a_late_job_when_filtering_the_logs_by_missed_then_its_missed_rows_are_listed(
    page, local_runtime, late
):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1100, "height": 760})
    _sign_in(page, local_runtime, "admin")
    _wait_status(page)
    page.goto(local_runtime.url + f"#/runs?job={LATE_JOB}&status=MISSED")

    newest = late["missed"][0]
    row = page.get_by_test_id(f"run-row-{newest['run_id']}")
    expect(row).to_be_visible()
    expect(row).to_have_attribute("data-status", "MISSED")
    expect(row).to_contain_text("MISSED")
    expect(row.get_by_test_id("run-error-summary")).to_contain_text("started no run")
    assert page.get_by_test_id("logs-table").locator("tbody tr").count() == len(late["missed"])


def test_given_a_late_job_when_opening_the_status_page_then_its_open_incident_leads(
    page, local_runtime, late
):
    from playwright.sync_api import expect

    _sign_in(page, local_runtime, "admin")
    _wait_status(page)

    incident = page.get_by_test_id(f"open-incident-{LATE_JOB}")
    expect(incident).to_contain_text("LATE")
    expect(incident).to_contain_text("1 alert sent")
    expect(incident).to_contain_text("started no run")
    expect(page.get_by_test_id(f"health-{LATE_JOB}")).to_have_attribute("data-health", "LATE")
    strip = page.get_by_test_id(f"job-card-{LATE_JOB}").locator(".strip-bar[data-status=MISSED]")
    expect(strip.first).to_be_attached()

    incident.get_by_role("link").click()
    expect(page).to_have_url(f"{local_runtime.url}#/jobs/{LATE_JOB}")


def test_given_a_late_job_when_opening_its_page_then_missed_rows_and_its_incidents_are_listed(
    page, local_runtime, late
):
    from playwright.sync_api import expect

    _sign_in(page, local_runtime, "admin")
    _wait_status(page)
    page.goto(local_runtime.url + f"#/jobs/{LATE_JOB}")

    runs = page.get_by_test_id("job-runs-table")
    expect(runs.locator(f"[data-testid=run-row-{late['missed'][0]['run_id']}]")).to_contain_text("MISSED")
    incidents = page.get_by_test_id("job-incidents-table")
    row = incidents.get_by_test_id("incident-row").first
    expect(row).to_have_attribute("data-kind", "LATE")
    expect(row).to_have_attribute("data-open", "true")
    expect(row).to_contain_text(f"DevSphere Automation: {LATE_JOB} is LATE")
    expect(page.get_by_test_id(f"late-{LATE_JOB}")).to_contain_text("Missed run")
    trend = page.get_by_test_id("trends").get_by_test_id("trend-runs")
    expect(trend.locator("rect.s-MISSED").first).to_be_attached()
    assert "0 problem runs" not in (trend.get_attribute("aria-label") or "")


def test_given_missed_rows_and_incidents_when_axe_checks_the_pages_then_nothing_serious_or_critical(
    axe_page, local_runtime, late
):
    from playwright.sync_api import expect

    page = axe_page
    found: dict[str, list[str]] = {}
    _sign_in(page, local_runtime, "admin")
    _wait_status(page)
    expect(page.get_by_test_id("open-incidents")).to_be_visible()
    found["status with an open incident"] = _axe_blocking(page)

    page.goto(local_runtime.url + f"#/jobs/{LATE_JOB}")
    expect(page.get_by_test_id("job-incidents-table")).to_be_visible()
    found["job with incidents"] = _axe_blocking(page)

    page.goto(local_runtime.url + f"#/runs?status=MISSED&job={LATE_JOB}")
    expect(page.get_by_test_id("logs-table")).to_be_visible()
    found["logs of missed ticks"] = _axe_blocking(page)

    page.goto(local_runtime.url + f"#/runs/{late['missed'][0]['run_id']}")
    outcome = page.get_by_test_id("run-detail-outcome")
    expect(outcome).to_contain_text("started no run")
    expect(outcome).to_contain_text("What to check")
    found["a missed tick"] = _axe_blocking(page)

    assert {name: issues for name, issues in found.items() if issues} == {}
