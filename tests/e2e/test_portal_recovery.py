"""Retry and release from a run's page, in a real browser against the local runtime, with axe on each state.

The local demo data puts contacts at a domain the local SES rejects, so a `sequences` run ends PARTIAL with
their items listed: the run an admin retries here once "the cause is fixed". Whether each item comes back
depends on what the run did to it (a rejected recipient is marked bounced, and a bounced contact is never
revived): the dialog says so per item, and the new run's page links back to the run it retries.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest

from tests.e2e import test_portal as shared
from tests.e2e import test_portal_diagnosis as diagnosis
from tests.e2e.test_portal import FINAL_STATUSES, _sign_in
from tests.support.local_runtime import LocalRuntime

browser = shared.browser
local_runtime = shared.local_runtime
axe_page = diagnosis.axe_page

pytestmark = pytest.mark.e2e

RUN_DONE_SECONDS = 60
# Screenshots to look at after a run; never written into the work tree.
SCREENSHOTS = Path(tempfile.gettempdir()) / "devsphere-portal-screens"


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _short(run_id: str) -> str:
    return run_id[-6:]


def _wait_final(runtime: LocalRuntime, run_id: str) -> dict:
    """Polls the API until the run is final (a condition, not a guessed delay)."""
    deadline = time.monotonic() + RUN_DONE_SECONDS
    while time.monotonic() < deadline:
        run = diagnosis._get_json(runtime, f"/runs/{run_id}")
        if run["status"] in FINAL_STATUSES:
            return run
        time.sleep(0.5)
    pytest.fail(f"run {run_id} did not finish within {RUN_DONE_SECONDS} s")


@pytest.fixture(scope="module")
def partial_run(local_runtime) -> dict:
    run = diagnosis._finished_run(local_runtime, "sequences", "e2e: a run with failed items to retry")
    assert run["status"] == "PARTIAL" and run["item_errors"], run
    return run


def test_given_a_partial_run_when_retrying_its_failed_items_then_the_error_is_first_and_a_linked_run_starts(
    axe_page, local_runtime, partial_run
):
    from playwright.sync_api import expect

    page = axe_page
    found: dict[str, list[str]] = {}
    run_id = partial_run["run_id"]

    # Given the admin on the page of a run that ended with failed items
    _sign_in(page, local_runtime, "admin")
    expect(page.get_by_test_id("summary")).to_be_visible()
    page.goto(local_runtime.url + f"#/runs/{run_id}")
    expect(page.get_by_test_id("recovery")).to_be_visible()
    found["run page with recovery"] = diagnosis._axe_blocking(page)

    # When they open "Retry failed items"
    page.get_by_test_id("recovery-retry").click()

    # Then the run's error and its failed items by cause come first, and a reason is required
    dialog = page.get_by_test_id("recovery-dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("recovery-problem")).to_contain_text("The error first")
    expect(page.get_by_test_id("recovery-problem")).to_contain_text(
        partial_run["failures_by_reason"][0]["keys"][0]
    )
    problem_top = page.get_by_test_id("recovery-problem").bounding_box()
    reason_top = page.get_by_test_id("recovery-reason").bounding_box()
    assert problem_top and reason_top and problem_top["y"] < reason_top["y"]
    expect(page.get_by_test_id("recovery-submit")).to_be_disabled()
    found["retry dialog"] = diagnosis._axe_blocking(page)
    _shot(page, "recovery-1-retry-dialog")

    # When they give the reason and retry
    page.get_by_test_id("recovery-reason").fill("e2e: partner domain verified")
    page.get_by_test_id("recovery-submit").click()

    # Then the outcome says what was released and what was not, and links the new run
    outcome = page.get_by_test_id("recovery-outcome")
    expect(outcome).to_be_visible()
    listed = len({item["key"] for item in partial_run["item_errors"]})
    expect(page.get_by_test_id("recovery-summary")).to_contain_text(f"of {listed} item")
    found["retry outcome"] = diagnosis._axe_blocking(page)
    _shot(page, "recovery-2-retry-outcome")
    page.get_by_test_id("recovery-new-run").click()

    # And the new run's page says which run it retries, with a link back
    retry_of = page.get_by_test_id("run-retry-of")
    expect(retry_of).to_contain_text(_short(run_id))
    new_run_id = page.url.rsplit("/", 1)[-1]
    assert new_run_id != run_id
    new_run = _wait_final(local_runtime, new_run_id)
    assert new_run["retry_of"] == run_id and new_run["trigger"] == "MANUAL"
    assert run_id in (new_run["reason"] or "")
    expect(page.get_by_test_id("run-detail-outcome")).to_have_attribute("data-status", new_run["status"])
    found["retry run page"] = diagnosis._axe_blocking(page)
    retry_of.get_by_role("link").click()
    expect(page.get_by_test_id("recovery")).to_be_visible()
    expect(page.get_by_test_id("run-retried-by")).to_contain_text(_short(new_run_id))

    assert found == {name: [] for name in found}, found


def test_given_a_partial_run_when_releasing_its_parked_items_then_each_item_is_answered(
    axe_page, local_runtime, partial_run
):
    from playwright.sync_api import expect

    page = axe_page
    run_id = partial_run["run_id"]
    in_flight = diagnosis._get_json(local_runtime, "/jobs/sequences")["in_flight_run_id"]
    if in_flight:
        _wait_final(local_runtime, in_flight)
    _sign_in(page, local_runtime, "admin")
    expect(page.get_by_test_id("summary")).to_be_visible()
    page.goto(local_runtime.url + f"#/runs/{run_id}")

    page.get_by_test_id("recovery-release").click()
    expect(page.get_by_test_id("recovery-problem")).to_be_visible()
    page.get_by_test_id("recovery-reason").fill("e2e: release after the fix")
    page.get_by_test_id("recovery-submit").click()

    # With no run in flight, every item the run lists is answered: released, or not and why.
    expect(page.get_by_test_id("recovery-outcome")).to_be_visible()
    expect(page.get_by_test_id("recovery-summary")).to_contain_text("Released")
    answered = page.locator("[data-testid=recovery-released] li, [data-testid=recovery-not-released] li")
    assert answered.count() == len({item["key"] for item in partial_run["item_errors"]})
    assert diagnosis._axe_blocking(page) == []
