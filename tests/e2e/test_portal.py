"""The portal's Automation area in a real browser (Debian Chromium) against the real local runtime.

One `python -m local` process serves the whole module; every test gets a fresh browser context, so
sessions never leak between tests. Screenshots go to the temp directory for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.local_runtime import LocalRuntime, start_local_runtime

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# Debian's Chromium on PATH: Playwright's own browser download is never used.
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RUN_OUTCOME_MS = 45_000
FINAL_STATUSES = {"SUCCEEDED", "PARTIAL", "FAILED", "TIMED_OUT", "SKIPPED", "MISSED", "CANCELLED"}
HEALTH_LABELS = {"PAUSED", "RUNNING", "LATE", "FAILING", "DEGRADED", "HEALTHY", "NEW"}
JOBS = ("sequences", "follow-ups", "scheduled-reports", "renewal-reminders")
FORBIDDEN = "Your account is not an admin or CEO: you can't view automation status."
SCREENSHOTS = Path(tempfile.gettempdir()) / "devsphere-portal-screens"


@pytest.fixture(scope="module")
def local_runtime() -> Iterator[LocalRuntime]:
    with start_local_runtime() as runtime:
        assert {"admin", "viewer"} <= runtime.logins.keys(), runtime.output
        yield runtime


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        # `make test` installs Chromium, so in CI a missing browser is a failure, not a reason to skip.
        if os.environ.get("CI"):
            pytest.fail("Debian Chromium is not installed: `make system-deps` should have installed it")
        pytest.skip("Debian Chromium is not installed (make system-deps)")
    from playwright.sync_api import expect, sync_playwright

    # The machine has two shared cores: give a busy runtime time before calling the page broken.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _new_page(browser, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


@pytest.fixture
def page(browser):
    context, page, errors = _new_page(browser, 1280, 900)
    yield page
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


@pytest.fixture
def phone(browser):
    context, page, errors = _new_page(browser, 390, 844)
    yield page
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


def _screenshot(page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def _sign_in(page, runtime: LocalRuntime, user: str) -> None:
    page.goto(runtime.url)
    page.get_by_test_id("signin-username").fill(user)
    page.get_by_test_id("signin-password").fill(runtime.logins[user])
    page.get_by_test_id("signin-submit").click()


def _start_run(runtime: LocalRuntime, job: str, reason: str) -> str:
    """Starts a run the way the portal does (through /auth and /api), so a test can rely on one existing."""
    token = runtime.token("admin")
    status, _, body = runtime.call_json("POST", f"/api/jobs/{job}/runs", token, {"reason": reason})
    assert status in (202, 409), body
    return body["run"]["run_id"] if status == 202 else body["error"]["run_id"]


def _has_no_sideways_scroll(page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_given_an_admin_when_signing_in_then_every_job_has_a_card_with_a_health_label_under_a_summary(
    page, local_runtime
):
    from playwright.sync_api import expect

    _sign_in(page, local_runtime, "admin")

    summary = page.get_by_test_id("summary")
    expect(summary).to_contain_text(re.compile(r"\d of 4 automations healthy"))
    for job in JOBS:
        card = page.get_by_test_id(f"job-card-{job}")
        expect(card).to_be_visible()
        assert page.get_by_test_id(f"health-{job}").inner_text().strip().split()[-1] in HEALTH_LABELS
        expect(page.get_by_test_id(f"meaning-{job}")).not_to_be_empty()
        expect(page.get_by_test_id(f"run-now-{job}")).to_be_enabled()
    expect(page.get_by_test_id("updated")).to_contain_text("Updated")
    _screenshot(page, "1280-status")


def test_given_an_admin_when_running_a_job_now_then_the_last_failure_comes_first_and_the_outcome_is_followed(
    page, local_runtime
):
    from playwright.sync_api import expect

    job = "sequences"
    reason = "e2e: checking that run-now works end to end"
    _sign_in(page, local_runtime, "admin")

    page.get_by_test_id(f"run-now-{job}").click()
    last_failure = page.get_by_test_id("run-last-failure")
    expect(last_failure).to_be_visible()
    if page.get_by_test_id("run-no-failures").count() == 0:
        expect(page.get_by_test_id("run-last-failure-error")).to_be_visible()
        expect(page.get_by_test_id("run-read-first")).to_contain_text("Read the error before re-running")
    submit = page.get_by_test_id("run-submit")
    expect(submit).to_be_disabled()
    page.get_by_test_id("run-reason").fill("   ")
    expect(submit).to_be_disabled()
    page.get_by_test_id("run-reason").fill(reason)
    expect(submit).to_be_enabled()
    _screenshot(page, "1280-run-now", full_page=False)
    submit.click()

    outcome = page.get_by_test_id("run-outcome")
    expect(outcome).to_be_visible(timeout=RUN_OUTCOME_MS)
    status = outcome.get_attribute("data-status")
    assert status in FINAL_STATUSES
    expect(outcome.locator(".banner-title")).to_have_text(
        re.compile(r"^(Succeeded|Partly succeeded|Failed|Timed out|Skipped) — ")
    )
    _screenshot(page, "1280-run-outcome", full_page=False)

    page.get_by_test_id("run-outcome-detail").click()
    expect(page.get_by_test_id("run-detail-status")).to_have_attribute("data-status", status)
    run_id = page.url.rsplit("/", 1)[-1]
    expect(page.get_by_text(f"“{reason}”")).to_be_visible()
    logs_link = page.get_by_test_id("run-detail-logs-link")
    href = logs_link.get_attribute("href")
    assert href and run_id in href
    if status in ("FAILED", "TIMED_OUT"):
        expect(page.get_by_test_id("run-detail-error")).to_be_visible()
    _screenshot(page, "1280-run-detail")
    # The local log view opens in this tab, whose sign-in it uses to fetch the lines.
    logs_link.click()
    expect(page.locator("#status")).to_have_text(
        re.compile(r"^(\d+ log lines|No log lines for this run yet)\.")
    )
    assert page.request.get(href.replace(run_id, run_id + ".json")).status == 401

    page.goto(local_runtime.url + "#/")
    expect(
        page.locator(f'[data-testid="job-card-{job}"] a.strip-bar[href="#/runs/{run_id}"]')
    ).to_be_visible()


def test_given_runs_of_two_jobs_when_filtering_the_logs_by_one_then_only_its_runs_are_listed(
    page, local_runtime
):
    from playwright.sync_api import expect

    kept = _start_run(local_runtime, "follow-ups", "e2e: a run to find in the logs")
    hidden = _start_run(local_runtime, "renewal-reminders", "e2e: a run the filter hides")
    _sign_in(page, local_runtime, "admin")
    expect(page.get_by_test_id("summary")).to_be_visible()

    page.goto(local_runtime.url + "#/runs")
    table = page.get_by_test_id("logs-table")
    expect(table.get_by_test_id(f"run-row-{hidden}")).to_be_visible()
    page.get_by_test_id("filter-job").select_option("follow-ups")

    expect(table.get_by_test_id(f"run-row-{kept}")).to_be_visible()
    expect(table.get_by_test_id(f"run-row-{hidden}")).to_have_count(0)
    job_cells = table.locator("tbody td[data-label='Job']")
    assert job_cells.count() >= 1
    assert set(job_cells.all_inner_texts()) == {"Follow-ups"}
    assert "job=follow-ups" in page.url
    _screenshot(page, "1280-logs")


def test_given_a_signed_in_user_outside_admin_and_ceo_when_opening_the_page_then_it_says_why_nothing_shows(
    page, local_runtime
):
    from playwright.sync_api import expect

    _sign_in(page, local_runtime, "viewer")

    expect(page.get_by_test_id("forbidden")).to_contain_text(FORBIDDEN)
    expect(page.get_by_test_id("summary")).to_have_count(0)
    _screenshot(page, "1280-forbidden", full_page=False)


def test_given_a_session_the_api_rejects_when_opening_the_page_then_it_returns_to_sign_in(
    page, local_runtime
):
    from playwright.sync_api import expect

    page.goto(local_runtime.url)
    # Booted and signed out first, so this page cannot act on the token planted below before the reload.
    expect(page.get_by_test_id("signin-submit")).to_be_visible()
    # A well-formed but unsigned token that claims to be valid for an hour: only the API can tell.
    page.evaluate(
        """() => {
          const part = (value) => btoa(JSON.stringify(value)).replace(/=+$/, "");
          const claims = { "cognito:username": "mallory", exp: Math.floor(Date.now() / 1000) + 3600 };
          const token = `${part({ alg: "none" })}.${part(claims)}.x`;
          sessionStorage.setItem("devsphere.automation.idToken", token);
        }"""
    )
    page.reload()

    expect(page.get_by_test_id("signin-submit")).to_be_visible()
    expect(page.get_by_test_id("signin-error")).to_contain_text("Sign in again")


def test_given_a_phone_width_screen_when_using_status_run_now_and_logs_then_nothing_scrolls_sideways(
    phone, local_runtime
):
    from playwright.sync_api import expect

    _sign_in(phone, local_runtime, "admin")
    expect(phone.get_by_test_id("summary")).to_be_visible()
    expect(phone.get_by_test_id("job-card-sequences")).to_be_visible()
    assert _has_no_sideways_scroll(phone)
    _screenshot(phone, "390-status")

    phone.get_by_test_id("run-now-follow-ups").click()
    expect(phone.get_by_test_id("run-reason")).to_be_visible()
    assert _has_no_sideways_scroll(phone)
    _screenshot(phone, "390-run-now", full_page=False)
    phone.keyboard.press("Escape")

    phone.get_by_test_id("nav-logs").click()
    expect(phone.get_by_test_id("logs-filters")).to_be_visible()
    expect(phone.get_by_test_id("logs-table").or_(phone.get_by_test_id("logs-empty"))).to_be_visible()
    assert _has_no_sideways_scroll(phone)
    _screenshot(phone, "390-logs")
