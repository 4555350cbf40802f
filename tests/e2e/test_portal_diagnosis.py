"""Diagnosis in a real browser: the last problem first, trends, search, the bugs found by hand, and axe.

Shares `test_portal`'s runtime and browser fixtures. The local demo data puts three contacts at a domain
the local SES rejects, so a `sequences` run ends PARTIAL with their items: the DEGRADED job an admin
diagnoses here. The README's walkthrough screenshots come from `test_portal_scenarios` (real LATE and
FAILING jobs).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from functions.catalog import get_job
from tests.e2e import test_portal as shared
from tests.e2e.test_portal import FINAL_STATUSES, _new_page, _sign_in, _start_run
from tests.support.local_runtime import LocalRuntime

# The runtime and browser of `test_portal`, shared by name (module scope: one runtime per module).
browser = shared.browser
local_runtime = shared.local_runtime
page = shared.page
phone = shared.phone

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}
REJECTED_DOMAIN = "unverified-partner.example"
RUN_DONE_SECONDS = 60


def _get_json(runtime: LocalRuntime, path: str) -> dict:
    """GET on the API as admin, signing in the way the portal does."""
    status, _, body = runtime.call_json("GET", f"/api{path}", runtime.token("admin"))
    assert status == 200, body
    return dict(body)


def _finished_run(runtime: LocalRuntime, job: str, reason: str) -> dict:
    """Starts a run and polls the API until it is final (a condition, not a guessed delay)."""
    run_id = _start_run(runtime, job, reason)
    deadline = time.monotonic() + RUN_DONE_SECONDS
    while time.monotonic() < deadline:
        run = _get_json(runtime, f"/runs/{run_id}")
        if run["status"] in FINAL_STATUSES:
            return run
        time.sleep(0.5)
    pytest.fail(f"run {run_id} did not finish within {RUN_DONE_SECONDS} s")


@pytest.fixture(scope="module")
def degraded(local_runtime) -> str:
    """A finished PARTIAL run of sequences (the demo's rejected addresses), so the job is DEGRADED."""
    run = _finished_run(local_runtime, "sequences", "e2e: a run with rejected addresses")
    assert run["status"] == "PARTIAL", run
    return str(run["run_id"])


def _wait_status(page) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_test_id("summary")).to_be_visible()


# --- the last problem, trends and search ------------------------------------------------------------


def test_given_a_degraded_job_when_running_it_now_then_the_partial_run_is_shown_first(
    page, local_runtime, degraded
):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1100, "height": 760})
    _sign_in(page, local_runtime, "admin")
    _wait_status(page)
    expect(page.get_by_test_id("health-sequences")).to_have_attribute("data-health", "DEGRADED")
    expect(page.get_by_test_id("job-card-sequences").get_by_test_id("last-problem-message")).to_contain_text(
        "failed"
    )

    page.get_by_test_id("run-now-sequences").click()

    problem = page.get_by_test_id("run-last-failure")
    expect(problem).to_contain_text("Last problem")
    expect(problem).to_contain_text("PARTIAL")
    expect(page.get_by_test_id("run-last-failure-error")).to_contain_text(re.compile(r"\d+ items?:"))
    expect(page.get_by_test_id("run-no-failures")).to_have_count(0)
    expect(page.get_by_test_id("run-read-first")).to_be_visible()


def test_given_a_degraded_job_when_opening_its_page_then_trends_are_drawn_and_the_last_problem_shown(
    page, local_runtime, degraded
):
    from playwright.sync_api import expect

    _sign_in(page, local_runtime, "admin")
    _wait_status(page)
    page.goto(local_runtime.url + "#/jobs/sequences")

    expect(page.get_by_test_id("job-last-problem")).to_contain_text("Partly succeeded")
    trends = page.get_by_test_id("trends")
    expect(trends.get_by_test_id("trend-runs")).to_be_visible()
    expect(trends.get_by_test_id("trend-durations")).to_be_visible()
    assert trends.locator("[data-testid=trend-runs] rect.s-PARTIAL").count() >= 1
    assert "problem run" in (trends.get_by_test_id("trend-runs").get_attribute("aria-label") or "")


def test_given_a_rejected_address_when_searching_the_logs_then_the_partial_run_is_found_with_its_error(
    page, local_runtime, degraded
):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1100, "height": 760})
    _sign_in(page, local_runtime, "admin")
    _wait_status(page)
    page.goto(local_runtime.url + "#/runs")
    page.get_by_test_id("filter-q").fill(REJECTED_DOMAIN)
    page.get_by_test_id("filter-apply").click()

    row = page.get_by_test_id(f"run-row-{degraded}")
    expect(row).to_be_visible()
    expect(row.get_by_test_id("run-error-summary")).to_contain_text("failed")
    assert f"q={REJECTED_DOMAIN}" in page.url

    row.get_by_role("link", name=re.compile(degraded[-8:])).click()
    expect(page.get_by_test_id("run-detail-items")).to_contain_text(REJECTED_DOMAIN)
    expect(page.get_by_test_id("run-detail-reasons")).to_be_visible()


def test_given_a_run_id_when_searching_then_that_run_alone_is_listed(page, local_runtime, degraded):
    from playwright.sync_api import expect

    _sign_in(page, local_runtime, "admin")
    _wait_status(page)
    page.goto(local_runtime.url + f"#/runs?q={degraded}")

    expect(page.get_by_test_id(f"run-row-{degraded}")).to_be_visible()
    expect(page.get_by_test_id("logs-table").locator("tbody tr")).to_have_count(1)


# --- bugs found in a real browser -----------------------------------------------------------------


def test_given_the_skip_link_when_followed_then_focus_moves_to_the_content_and_the_page_stays(
    page, local_runtime
):
    from playwright.sync_api import expect

    _sign_in(page, local_runtime, "admin")
    _wait_status(page)
    url = page.url

    page.locator(".skip-link").focus()  # where the first Tab of a fresh page lands
    page.keyboard.press("Enter")

    expect(page.locator("#main")).to_be_focused()
    expect(page.get_by_test_id("summary")).to_be_visible()
    expect(page.get_by_text("There is no page at this address.")).to_have_count(0)
    assert page.url == url


def test_given_keyboard_focus_on_a_card_link_when_the_page_refreshes_then_focus_stays_on_it(
    browser, local_runtime
):
    from playwright.sync_api import expect

    context, page, errors = _new_page(browser, 1280, 900)
    try:
        page.clock.install()
        _sign_in(page, local_runtime, "admin")
        _wait_status(page)
        details = page.get_by_test_id("job-card-follow-ups").get_by_role("link", name="Details")
        details.focus()
        # Mark the rendered card: once the refresh re-renders, a card without the mark replaces it.
        page.get_by_test_id("job-card-follow-ups").evaluate("card => { card.dataset.before = 'yes'; }")

        page.clock.run_for(16_000)  # past the 15-second refresh

        expect(page.locator('[data-testid="job-card-follow-ups"]:not([data-before])')).to_be_visible()
        expect(page.get_by_test_id("job-card-follow-ups").get_by_role("link", name="Details")).to_be_focused()
        assert page.evaluate("document.activeElement !== document.body")
        assert errors == []
    finally:
        context.close()


def test_given_a_time_filter_in_new_york_when_the_link_opens_in_tokyo_then_it_means_the_same_instant(
    browser, local_runtime
):
    from playwright.sync_api import expect

    new_york = browser.new_context(timezone_id="America/New_York", viewport={"width": 1280, "height": 900})
    tokyo = browser.new_context(timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 900})
    try:
        page = new_york.new_page()
        _sign_in(page, local_runtime, "admin")
        _wait_status(page)
        page.goto(local_runtime.url + "#/runs")
        expect(page.locator("label.field-date").first).to_contain_text("America/New_York")
        page.get_by_test_id("filter-from").fill("2026-11-28T09:00")
        page.get_by_test_id("filter-to").fill("2026-11-28T09:30")
        with page.expect_request(re.compile(r".*/api/runs\?.*")) as sent:
            page.get_by_test_id("filter-apply").click()

        assert "from=2026-11-28T14%3A00Z" in page.url or "from=2026-11-28T14:00Z" in page.url
        query = sent.value.url
        # "To 09:30" includes the whole 09:30 minute.
        assert "to=2026-11-28T14%3A30%3A59.999Z" in query, query
        shared = page.url

        other = tokyo.new_page()
        _sign_in(other, local_runtime, "admin")
        _wait_status(other)
        other.goto(shared)
        expect(other.get_by_test_id("filter-from")).to_have_value("2026-11-28T23:00")
        expect(other.locator("label.field-date").first).to_contain_text("Asia/Tokyo")
    finally:
        new_york.close()
        tokyo.close()


def test_given_from_after_to_when_applying_then_a_readable_message_names_the_filters(page, local_runtime):
    from playwright.sync_api import expect

    _sign_in(page, local_runtime, "admin")
    _wait_status(page)
    page.goto(local_runtime.url + "#/runs")
    page.get_by_test_id("filter-from").fill("2026-11-28T10:00")
    page.get_by_test_id("filter-to").fill("2026-11-28T09:00")
    page.get_by_test_id("filter-apply").click()

    message = page.get_by_test_id("validation-error")
    expect(message).to_contain_text("“From” is later than “To”")
    expect(page.get_by_text("Something went wrong")).to_have_count(0)


def test_given_a_run_link_opened_in_a_fresh_page_then_the_job_is_named_by_its_title(
    page, local_runtime, degraded
):
    from playwright.sync_api import expect

    _sign_in(page, local_runtime, "admin")
    _wait_status(page)
    page.goto(local_runtime.url + f"#/runs/{degraded}")
    page.reload()

    heading = page.locator("h1")
    expect(heading).to_contain_text(get_job("sequences").title)
    expect(heading.get_by_role("link")).to_have_text(get_job("sequences").title)


def test_given_one_report_built_when_the_outcome_is_written_then_it_reads_in_the_singular(
    page, local_runtime
):
    _sign_in(page, local_runtime, "admin")
    _wait_status(page)

    texts = page.evaluate(
        """async () => {
          const { outcomeText } = await import("./format.js");
          return [
            outcomeText({ status: "SUCCEEDED", counts: { processed: 1, reports_built: 1 } }),
            outcomeText({ status: "SUCCEEDED", counts: { processed: 2, reports_built: 2 } }),
            outcomeText({ status: "PARTIAL", counts: { processed: 1, failed: 1 } }),
          ];
        }"""
    )

    assert texts == [
        "Succeeded — 1 report built",
        "Succeeded — 2 reports built",
        "Partly succeeded — 1 of 1 item failed",
    ]


def test_given_run_id_links_then_their_accessible_name_is_their_visible_text(page, local_runtime, degraded):
    from playwright.sync_api import expect

    _sign_in(page, local_runtime, "admin")
    _wait_status(page)
    page.goto(local_runtime.url + "#/runs")
    link = page.get_by_test_id(f"run-row-{degraded}").locator("td[data-label=Run] a")
    expect(link).to_be_visible()

    visible = link.inner_text().strip()
    expect(page.get_by_role("link", name=visible, exact=True)).to_have_count(1)
    assert link.get_attribute("aria-label") is None


def test_given_a_phone_when_filtering_logs_then_the_date_inputs_fit_the_screen(phone, local_runtime):
    from playwright.sync_api import expect

    _sign_in(phone, local_runtime, "admin")
    _wait_status(phone)
    phone.goto(local_runtime.url + "#/runs")
    expect(phone.get_by_test_id("filter-from")).to_be_visible()

    width = phone.viewport_size["width"]
    for name in ("filter-from", "filter-to", "filter-q"):
        box = phone.get_by_test_id(name).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (name, box)
        assert box["width"] >= 200, (name, box)


# --- axe-core on every page ---------------------------------------------------------------------------


def _axe_blocking(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{violation['id']} ({violation['impact']}): {[node['target'] for node in violation['nodes']][:3]}"
        for violation in result
        if violation["impact"] in BLOCKING_IMPACTS
    ]


@pytest.fixture
def axe_page(browser):
    # axe is injected as a script tag: only this context lifts the page's CSP to allow it.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def test_given_every_portal_page_when_axe_checks_it_then_nothing_serious_or_critical(
    axe_page, local_runtime, degraded
):
    from playwright.sync_api import expect

    page = axe_page
    found: dict[str, list[str]] = {}

    page.goto(local_runtime.url)
    expect(page.get_by_test_id("signin-submit")).to_be_visible()
    found["sign-in"] = _axe_blocking(page)

    _sign_in(page, local_runtime, "admin")
    _wait_status(page)
    found["status"] = _axe_blocking(page)

    page.get_by_test_id("run-now-sequences").click()
    expect(page.get_by_test_id("run-reason")).to_be_visible()
    found["run-now dialog"] = _axe_blocking(page)
    page.keyboard.press("Escape")

    page.goto(local_runtime.url + "#/jobs/sequences")
    expect(page.get_by_test_id("trends")).to_be_visible()
    found["job"] = _axe_blocking(page)

    page.goto(local_runtime.url + "#/runs")
    expect(page.get_by_test_id("logs-table")).to_be_visible()
    found["logs"] = _axe_blocking(page)

    page.goto(local_runtime.url + f"#/runs/{degraded}")
    expect(page.get_by_test_id("run-detail-items")).to_be_visible()
    found["run"] = _axe_blocking(page)

    page.goto(local_runtime.url + "#/nowhere")
    expect(page.get_by_text("There is no page at this address.")).to_be_visible()
    found["not found"] = _axe_blocking(page)

    assert {name: issues for name, issues in found.items() if issues} == {}


def test_given_a_search_that_finds_nothing_then_the_page_says_what_was_searched(
    page, local_runtime, degraded
):
    from playwright.sync_api import expect

    _sign_in(page, local_runtime, "admin")
    _wait_status(page)
    page.goto(local_runtime.url + "#/runs?q=nobody%40nowhere.example")

    empty = page.get_by_test_id("logs-empty")
    expect(empty).to_contain_text("No runs match “nobody@nowhere.example”")
    expect(empty).to_contain_text(re.compile(r"failed items of \d+ runs? since"))


def test_given_a_search_the_api_refuses_then_the_message_names_the_field_in_plain_words(page, local_runtime):
    from playwright.sync_api import expect

    _sign_in(page, local_runtime, "admin")
    _wait_status(page)
    page.goto(local_runtime.url + "#/runs?q=" + "x" * 201)  # the API takes at most 200 characters

    message = page.get_by_test_id("validation-error")
    expect(message).to_contain_text("Please check what you entered")
    expect(message).to_contain_text("Search:")
    expect(page.get_by_text("Something went wrong")).to_have_count(0)
