"""What an admin sees for each health, in a real browser, against `python -m local --scenario all`: a LATE
job whose tick really never ran, a FAILING job whose run really failed for a configuration problem, a
DEGRADED and a PAUSED job. `UPDATE_SCREENSHOTS=1` writes the README's walkthrough screenshots from these
real jobs to `docs/screenshots/`.

Its own runtime (module scope): the scenario's state must not meet other modules' runs.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.demo_data import REJECTED_CONTACTS
from local.scenarios import FAILING_JOB, LATE_JOB, PAUSE_REASON, PAUSED_BY, PAUSED_JOB
from tests.e2e import test_portal as shared
from tests.e2e import test_portal_diagnosis as diagnosis
from tests.e2e.test_portal import ROOT, RUN_OUTCOME_MS, _sign_in
from tests.e2e.test_portal_diagnosis import _axe_blocking
from tests.support.local_runtime import LocalRuntime, start_local_runtime

# The browser and pages of `test_portal`, shared by name; the runtime is this module's own.
browser = shared.browser
page = shared.page
axe_page = diagnosis.axe_page

pytestmark = pytest.mark.e2e

# The README's screenshots are refreshed on request only, so a test run leaves the work tree clean.
DOCS_SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "devsphere-portal-screens"
)
# The scenario runs its jobs before the runtime says it is ready; the failing run takes longest.
STARTUP_SECONDS = 150
SENDER_FIX = "configuration: verify the sender address"
SENDER = "automation@devsphere.example"
DEGRADED_JOB = "renewal-reminders"


@pytest.fixture(scope="module")
def scenario_runtime() -> Iterator[LocalRuntime]:
    with start_local_runtime("--scenario", "all", startup_seconds=STARTUP_SECONDS) as runtime:
        yield runtime


def _job(runtime: LocalRuntime, job: str) -> dict:
    status, _, body = runtime.call_json("GET", f"/api/jobs/{job}", runtime.token("admin"))
    assert status == 200, body
    return dict(body)


def _shot(page, name: str) -> None:
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"), full_page=False)


def _status_page(page, runtime: LocalRuntime) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1100, "height": 760})
    _sign_in(page, runtime, "admin")
    expect(page.get_by_test_id("summary")).to_be_visible()


def _comes_before(page, first: str, second: str) -> bool:
    return bool(
        page.evaluate(
            """([first, second]) => {
              const a = document.querySelector(`[data-testid="${first}"]`);
              const b = document.querySelector(`[data-testid="${second}"]`);
              return Boolean(a && b && (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING));
            }""",
            [first, second],
        )
    )


def test_given_a_job_whose_tick_never_ran_when_an_admin_looks_then_late_names_the_tick_and_the_checks(
    page, scenario_runtime
):
    from playwright.sync_api import expect

    missed = _job(scenario_runtime, LATE_JOB)["late"]["missed_tick"]
    _status_page(page, scenario_runtime)

    expect(page.get_by_test_id(f"health-{LATE_JOB}")).to_have_attribute("data-health", "LATE")
    meaning = page.get_by_test_id(f"meaning-{LATE_JOB}")
    expect(meaning).to_contain_text("did not start")
    card = page.get_by_test_id(f"job-card-{LATE_JOB}")
    card.scroll_into_view_if_needed()
    # Its only row is the MISSED tick, which has no duration: the strip claims no duration scale.
    expect(card.locator(".strip-bar[data-status=MISSED]")).to_have_count(1)
    expect(card.locator(".strip-legend")).not_to_contain_text("tallest")
    _shot(page, "late-1-status")

    page.get_by_test_id(f"run-now-{LATE_JOB}").click()
    notice = page.get_by_test_id("run-late")
    expect(notice).to_contain_text("did not start")
    expect(notice.locator("time")).to_have_attribute("datetime", missed)
    expect(notice).to_contain_text("dead-letter queue")
    expect(notice).to_contain_text("Throttles")
    # The missed run is the first thing to read, above the last problem.
    assert _comes_before(page, "run-late", "run-last-failure")
    _shot(page, "late-2-run-now")

    page.keyboard.press("Escape")
    # The episode is an open incident at the top of the status page, with the alert the watchdog sent.
    incident = page.get_by_test_id(f"open-incident-{LATE_JOB}")
    expect(incident).to_contain_text("LATE")
    expect(incident).to_contain_text("1 alert sent")

    page.goto(scenario_runtime.url + f"#/jobs/{LATE_JOB}")
    card = page.get_by_test_id(f"late-{LATE_JOB}")
    expect(card.locator("time")).to_have_attribute("datetime", missed)
    expect(card).to_contain_text("paused or disabled")
    # A week later the history still shows the gap: the tick has a MISSED row of its own.
    missed_rows = page.get_by_test_id("job-runs-table").locator("tr", has_text="Missed")
    expect(missed_rows.first).to_be_visible()
    incidents = page.get_by_test_id("job-incidents-table").get_by_test_id("incident-row").first
    expect(incidents).to_have_attribute("data-kind", "LATE")
    page.get_by_test_id("job-runs-table").scroll_into_view_if_needed()
    _shot(page, "late-3-history")


def test_given_a_run_that_failed_for_its_configuration_when_running_now_then_the_cause_and_fix_come_first(
    page, scenario_runtime
):
    from playwright.sync_api import expect

    _status_page(page, scenario_runtime)
    expect(page.get_by_test_id(f"health-{FAILING_JOB}")).to_have_attribute("data-health", "FAILING")
    card = page.get_by_test_id(f"job-card-{FAILING_JOB}")
    expect(card.get_by_test_id("last-problem-message")).to_contain_text(SENDER_FIX)
    _shot(page, "failed-1-status")

    page.get_by_test_id(f"run-now-{FAILING_JOB}").click()

    problem = page.get_by_test_id("run-last-failure")
    expect(problem).to_contain_text("FAILED")
    expect(page.get_by_test_id("run-last-failure-error")).to_contain_text(SENDER_FIX)
    expect(page.get_by_test_id("run-late")).to_have_count(0)
    expect(page.get_by_test_id("run-read-first")).to_be_visible()
    # Cause and fix are read before the reason is asked for, let alone the run started.
    assert _comes_before(page, "run-last-failure", "run-reason")
    _shot(page, "failed-2-run-now")


def test_given_the_failed_run_when_searching_the_logs_for_the_sender_then_the_run_and_its_one_cause_show(
    page, scenario_runtime
):
    from playwright.sync_api import expect

    run_id = _job(scenario_runtime, FAILING_JOB)["last_problem"]["run_id"]
    _status_page(page, scenario_runtime)
    page.goto(scenario_runtime.url + "#/runs")
    page.get_by_test_id("filter-q").fill(SENDER)
    page.get_by_test_id("filter-apply").click()

    row = page.get_by_test_id(f"run-row-{run_id}")
    expect(row).to_be_visible()
    expect(row.get_by_test_id("run-error-summary")).to_contain_text("AllItemsFailed")
    _shot(page, "failed-3-search")

    page.goto(scenario_runtime.url + f"#/runs/{run_id}")
    reasons = page.get_by_test_id("run-detail-reasons")
    expect(reasons).to_contain_text(SENDER_FIX)
    expect(reasons.locator("li")).to_have_count(1)
    expect(page.get_by_test_id("run-detail-items")).to_contain_text(SENDER)
    # More items failed than the run lists: the page counts them all and says whose causes it shows.
    failed = _job(scenario_runtime, FAILING_JOB)["last_problem"]["failed_items"]
    error = page.get_by_test_id("run-detail-error")
    expect(error.locator(".fact:has(dt:text-is('Failed items')) dd")).to_have_text(str(failed))
    expect(error).to_contain_text(f"{failed} items failed; of the first 50 kept")
    _shot(page, "failed-4-run")


def test_given_a_paused_and_a_degraded_job_when_an_admin_looks_then_who_paused_why_and_what_failed_show(
    page, scenario_runtime
):
    from playwright.sync_api import expect

    _status_page(page, scenario_runtime)

    expect(page.get_by_test_id(f"health-{PAUSED_JOB}")).to_have_attribute("data-health", "PAUSED")
    paused = page.get_by_test_id(f"paused-{PAUSED_JOB}")
    expect(paused).to_contain_text(f"by {PAUSED_BY}")
    expect(paused).to_contain_text(PAUSE_REASON)
    expect(page.get_by_test_id(f"health-{DEGRADED_JOB}")).to_have_attribute("data-health", "DEGRADED")
    degraded = page.get_by_test_id(f"job-card-{DEGRADED_JOB}").get_by_test_id("last-problem-message")
    expect(degraded).to_contain_text("failed")
    expect(page.get_by_test_id("summary")).to_contain_text("1 late")
    expect(page.get_by_test_id("summary")).to_contain_text("1 failing")


def test_given_every_health_at_once_when_axe_checks_the_status_page_and_its_dialogs_then_nothing_serious(
    axe_page, scenario_runtime
):
    from playwright.sync_api import expect

    page = axe_page
    found: dict[str, list[str]] = {}
    _sign_in(page, scenario_runtime, "admin")
    expect(page.get_by_test_id(f"health-{LATE_JOB}")).to_have_attribute("data-health", "LATE")
    found["status"] = _axe_blocking(page)

    for job in (LATE_JOB, FAILING_JOB):
        page.get_by_test_id(f"run-now-{job}").click()
        expect(page.get_by_test_id("run-reason")).to_be_visible()
        found[f"run-now {job}"] = _axe_blocking(page)
        page.keyboard.press("Escape")

    page.goto(scenario_runtime.url + f"#/jobs/{LATE_JOB}")
    expect(page.get_by_test_id(f"late-{LATE_JOB}")).to_be_visible()
    found["late job"] = _axe_blocking(page)

    assert {name: issues for name, issues in found.items() if issues} == {}


def test_given_the_sender_verified_when_retrying_the_failed_run_then_only_sandbox_recipients_still_fail(
    page, scenario_runtime
):
    """Last in the module, as it is the walkthrough's last step: it fixes the FAILING job's cause."""
    from playwright.sync_api import expect

    failed_run = _job(scenario_runtime, FAILING_JOB)["last_problem"]["run_id"]
    scenario_runtime.aws("ses").verify_email_identity(EmailAddress=SENDER)
    _status_page(page, scenario_runtime)
    page.goto(scenario_runtime.url + f"#/runs/{failed_run}")
    page.get_by_test_id("recovery-retry").click()
    expect(page.get_by_test_id("recovery-problem")).to_contain_text(SENDER_FIX)
    page.get_by_test_id("recovery-reason").fill("sender address verified in SES")
    _shot(page, "failed-5-retry")
    page.get_by_test_id("recovery-submit").click()

    expect(page.get_by_test_id("recovery-outcome")).to_be_visible()
    page.get_by_test_id("recovery-new-run").click()
    expect(page.get_by_test_id("run-retry-of")).to_be_visible()
    outcome = page.get_by_test_id("run-detail-outcome")
    expect(outcome).to_have_attribute("data-status", "PARTIAL", timeout=RUN_OUTCOME_MS)
    job = _job(scenario_runtime, FAILING_JOB)
    assert job["health"] == "DEGRADED"
    assert job["last_run"]["run_id"] == page.url.rsplit("/", 1)[-1]
    counts = job["last_run"]["counts"]
    # The failed run's items were sent now; only the demo's sandbox-refused recipients still fail.
    assert counts["failed"] == REJECTED_CONTACTS
    assert counts["succeeded"] > 100
    # And the retry is in the job's activity: who, why, which run.
    page.goto(scenario_runtime.url + f"#/jobs/{FAILING_JOB}")
    expect(page.get_by_test_id("job-activity")).to_contain_text("sender address verified in SES")
