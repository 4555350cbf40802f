"""Admin actions in a real browser: the job's activity trail, cancelling a running run, releasing unconfirmed
emails — each with an axe pass on its page and dialog.

Shares `test_portal`'s runtime and browser fixtures (one runtime for this module). To have a run to cancel
without sleeping anywhere, a few thousand due sequence steps are imported into the runtime's emulation the way
an operator would import data (the importer, pointed at the emulation's endpoint): the run takes far longer
than the test needs to cancel it, and stops at its next checkpoint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e import test_portal as shared
from tests.e2e.test_portal import ROOT, _new_page, _sign_in, _start_run
from tests.e2e.test_portal_diagnosis import _axe_blocking, _get_json
from tests.support.local_runtime import LocalRuntime, user_environment

browser = shared.browser
local_runtime = shared.local_runtime
page = shared.page

pytestmark = pytest.mark.e2e

VOLUME = 3000
CANCEL_DONE_SECONDS = 90
CLAIM_KEY = "SEND#e2e-release:followup:0"

# Run inside the emulation's environment, with the service's own data layer: what an operator's script does.
SEED_UNCONFIRMED = """
import sys
from datetime import timedelta
from functions.clock import SYSTEM_CLOCK
from functions.data import platform_claims
from functions.data.run_fencing import Fence
from functions.data.run_log import RunLog
from functions.data.run_types import Caller, Outcome, Unconfirmed
from functions.data.vocabulary import RunStatus
from functions.ids import new_run_id

key, now = sys.argv[1], SYSTEM_CLOCK.now()
run_log, run_id = RunLog(90), new_run_id(now)
platform_claims.claim(key, run_id, now - timedelta(hours=1), now - timedelta(minutes=30), 4)
run_log.create_queued("follow-ups", run_id, now, now + timedelta(minutes=20), Caller(sub="e2e"), "e2e")
unconfirmed = [Unconfirmed(claim=key, item="follow-up:f-e2e", reason="SES answer lost: delivery unconfirmed")]
counts = {"processed": 1, "succeeded": 0, "failed": 1, "skipped": 0}
run_log.finish(run_id, Outcome(RunStatus.FAILED, counts, unconfirmed=unconfirmed), now, Fence.queued())
print(run_id)
"""


def _emulation_env(runtime: LocalRuntime) -> dict[str, str]:
    return {
        **user_environment(),
        "AWS_ENDPOINT_URL": runtime.moto_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": runtime.settings.get("AUTOMATION_REGION", "eu-west-2"),
        "AWS_DEFAULT_REGION": runtime.settings.get("AUTOMATION_REGION", "eu-west-2"),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def _python(runtime: LocalRuntime, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=_emulation_env(runtime),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def volume(local_runtime, tmp_path_factory) -> int:
    """Thousands of due sequence steps at a verified demo domain: a run of `sequences` that takes minutes."""
    contacts = [
        {
            "id": f"c-vol-{n}",
            "email": f"volume{n}@northwind.example",
            "name": f"Volume {n}",
            "owner_id": "u-vol",
        }
        for n in range(VOLUME)
    ]
    data = {
        "users": [{"id": "u-vol", "name": "Vol Owner", "email": "vol.owner@devsphere.example"}],
        "sequences": [
            {
                "id": "s-vol",
                "name": "Volume",
                "steps": [{"delay_minutes": 0, "subject": "Hi", "body": "Hello"}],
            }
        ],
        "contacts": contacts,
        "enrollments": [
            {"id": f"e-vol-{n}", "contact_id": f"c-vol-{n}", "sequence_id": "s-vol", "next_send_at": "now"}
            for n in range(VOLUME)
        ],
    }
    path = Path(tmp_path_factory.mktemp("volume")) / "volume.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    _python(local_runtime, "-m", "functions.automations.importer", str(path))
    return VOLUME


def _wait_run(runtime: LocalRuntime, run_id: str, statuses: set[str], seconds: float) -> dict:
    """Polls the API until the run is in one of `statuses` (a condition, not a guessed delay)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = _get_json(runtime, f"/runs/{run_id}")
        if run["status"] in statuses:
            return run
        time.sleep(0.3)
    pytest.fail(f"run {run_id} did not reach {statuses} within {seconds} s")


@pytest.fixture
def axe_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def test_given_a_pause_then_a_resume_when_opening_the_job_then_both_show_who_and_why(page, local_runtime):
    from playwright.sync_api import expect

    _sign_in(page, local_runtime, "admin")
    expect(page.get_by_test_id("summary")).to_be_visible()
    page.goto(local_runtime.url + "#/jobs/scheduled-reports")

    page.get_by_test_id("pause-scheduled-reports").click()
    page.get_by_test_id("pause-reason").fill("e2e: supplier outage")
    page.get_by_test_id("pause-submit").click()
    expect(page.get_by_test_id("paused-scheduled-reports")).to_be_visible()
    page.get_by_test_id("resume-scheduled-reports").click()
    page.get_by_test_id("resume-reason").fill("e2e: supplier back")
    page.get_by_test_id("resume-submit").click()
    expect(page.get_by_test_id("paused-scheduled-reports")).to_have_count(0)

    rows = page.get_by_test_id("job-activity").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-action", "RESUME")
    expect(rows.nth(0)).to_contain_text("admin")
    expect(rows.nth(0)).to_contain_text("e2e: supplier back")
    expect(rows.nth(1)).to_have_attribute("data-action", "PAUSE")
    expect(rows.nth(1)).to_contain_text("e2e: supplier outage")
    # Local time with its zone, the exact UTC instant on hover.
    assert rows.nth(0).locator("time").get_attribute("datetime")


def test_given_a_running_run_when_cancelled_from_its_page_then_it_ends_cancelled_with_its_counts(
    axe_page, local_runtime, volume
):
    from playwright.sync_api import expect

    page = axe_page
    run_id = _start_run(local_runtime, "sequences", "e2e: a long run to cancel")
    _wait_run(local_runtime, run_id, {"RUNNING"}, 30)
    _sign_in(page, local_runtime, "admin")
    expect(page.get_by_test_id("summary")).to_be_visible()
    page.goto(local_runtime.url + f"#/runs/{run_id}")

    page.get_by_test_id("run-cancel").click()
    expect(page.get_by_test_id("cancel-reason")).to_be_visible()
    assert _axe_blocking(page) == []
    expect(page.get_by_test_id("cancel-submit")).to_be_disabled()
    page.get_by_test_id("cancel-reason").fill("e2e: wrong template")
    page.get_by_test_id("cancel-submit").click()

    expect(page.get_by_test_id("run-detail-outcome")).to_have_attribute(
        "data-status", "CANCELLED", timeout=CANCEL_DONE_SECONDS * 1000
    )
    expect(page.get_by_test_id("run-detail-outcome")).to_contain_text(
        "cancelled by admin: e2e: wrong template"
    )
    run = _get_json(local_runtime, f"/runs/{run_id}")
    assert run["status"] == "CANCELLED"
    assert 0 < run["counts"]["processed"] < volume
    assert run["counts"]["steps_sent"] == run["counts"]["succeeded"]
    assert _axe_blocking(page) == []
    # The job page's activity names the cancel, linked to the run.
    page.goto(local_runtime.url + "#/jobs/sequences")
    cancel_row = page.get_by_test_id("job-activity").locator("tbody tr[data-action=CANCEL]")
    expect(cancel_row).to_contain_text("e2e: wrong template")
    expect(cancel_row.get_by_role("link")).to_have_attribute("href", f"#/runs/{run_id}")
    assert _axe_blocking(page) == []


def test_given_a_run_with_an_unconfirmed_email_when_releasing_it_then_the_dialog_explains_and_reports(
    axe_page, local_runtime
):
    from playwright.sync_api import expect

    page = axe_page
    run_id = _python(local_runtime, "-c", SEED_UNCONFIRMED, CLAIM_KEY).strip()
    _sign_in(page, local_runtime, "admin")
    expect(page.get_by_test_id("summary")).to_be_visible()
    page.goto(local_runtime.url + f"#/runs/{run_id}")

    expect(page.get_by_test_id("run-unconfirmed")).to_contain_text("follow-up:f-e2e")
    page.get_by_test_id("release-unconfirmed").click()
    dialog = page.get_by_test_id("release-dialog")
    expect(dialog).to_contain_text("may or may not have been delivered")
    expect(dialog.get_by_role("checkbox")).to_be_checked()
    expect(page.get_by_test_id("release-submit")).to_be_disabled()
    assert _axe_blocking(page) == []
    page.get_by_test_id("release-reason").fill("e2e: checked SES, not sent")
    page.get_by_test_id("release-submit").click()

    result = page.get_by_test_id("release-result")
    expect(result).to_contain_text("Released 1")
    expect(page.get_by_test_id("release-released")).to_contain_text(CLAIM_KEY)
    assert _axe_blocking(page) == []
    page.get_by_test_id("dialog-close").click()
    expect(page.get_by_test_id("run-releases")).to_contain_text("e2e: checked SES, not sent")
    activity = _get_json(local_runtime, "/jobs/follow-ups/activity")["entries"]
    assert [(e["action"], e["run_id"]) for e in activity][:1] == [("RELEASE_UNCONFIRMED", run_id)]


def test_given_run_now_following_a_long_run_when_cancelling_there_then_the_follow_view_says_so(
    browser, local_runtime, volume
):
    from playwright.sync_api import expect

    context, page, errors = _new_page(browser, 1280, 900)
    try:
        _sign_in(page, local_runtime, "admin")
        expect(page.get_by_test_id("summary")).to_be_visible()
        page.get_by_test_id("run-now-sequences").click()
        page.get_by_test_id("run-reason").fill("e2e: follow and cancel")
        page.get_by_test_id("run-submit").click()
        page.get_by_test_id("run-follow-cancel").click()
        page.get_by_test_id("cancel-reason").fill("e2e: changed my mind")
        page.get_by_test_id("cancel-submit").click()

        expect(page.get_by_test_id("run-live-status")).to_have_attribute(
            "data-status", "CANCELLED", timeout=CANCEL_DONE_SECONDS * 1000
        )
        expect(page.get_by_test_id("run-outcome")).to_contain_text("cancelled by admin: e2e: changed my mind")
    finally:
        context.close()
    assert errors == []
