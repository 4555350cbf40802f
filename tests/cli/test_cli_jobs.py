"""`automation status`, `runs`, `run-detail`, `run --wait` with each outcome's exit code, `pause`, `resume`
and `make smoke`, against one local runtime. The tests run in file order: the first runs of the demo data
are theirs (sequences' first run is PARTIAL: a few contacts sit at a domain the local SES refuses).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli.conftest import Automation
from tests.support.local_runtime import ROOT, LocalRuntime

pytestmark = pytest.mark.e2e

JOBS = {"sequences", "follow-ups", "scheduled-reports", "renewal-reminders"}
SENDER_IDENTITIES = ("automation@devsphere.example", "devsphere.example")
RUN_SECONDS = 90


@pytest.fixture(scope="module", autouse=True)
def signed_in(automation: Automation) -> None:
    automation.login("admin")


def _job(automation: Automation, job: str) -> dict[str, Any]:
    result = automation("status", job, "--json")
    assert result.code == 0, result.output
    detail: dict[str, Any] = json.loads(result.stdout)
    return detail


def _until_idle(automation: Automation, job: str) -> None:
    """Waits (on a separate process: the runtime) until the job has no run in flight."""
    deadline = time.monotonic() + RUN_SECONDS
    while _job(automation, job)["in_flight_run_id"] is not None:
        assert time.monotonic() < deadline, f"{job} still has a run in flight after {RUN_SECONDS} s"
        time.sleep(0.5)


def test_given_the_schedules_when_pausing_every_job_with_a_reason_then_status_shows_who_and_why(
    automation: Automation,
) -> None:
    # Paused schedules keep the scheduler's ticks out of the runs these tests start; manual runs still work.
    for job in sorted(JOBS):
        result = automation("pause", job, "--reason", "cli tests: manual runs only")
        assert result.code == 0, result.output
        assert f"Paused {job}: cli tests: manual runs only" in result.stderr

    table = automation("status")

    assert table.code == 0, table.output
    assert table.stdout.count("paused by admin: cli tests: manual runs only") == 4


def test_given_jobs_when_reading_status_then_a_table_for_people_and_json_for_scripts(
    automation: Automation,
) -> None:
    table = automation("status")
    as_json = automation("status", "--json")

    assert table.code == 0 and as_json.code == 0
    assert table.stdout.splitlines()[0] == "0 of 4 automations healthy · 4 paused"
    header = next(line for line in table.stdout.splitlines() if "JOB" in line)
    assert all(column in header for column in ("HEALTH", "LAST RUN", "NEXT RUN", "LAST PROBLEM"))
    for job in JOBS:
        assert job in table.stdout
    # A pipe is not a terminal: no colour codes in what a script or a log reads.
    assert "\x1b[" not in table.stdout
    listing = json.loads(as_json.stdout)
    assert {job["job"] for job in listing["jobs"]} == JOBS
    assert all(job["health"] == "PAUSED" for job in listing["jobs"])


def test_given_a_job_that_succeeds_when_run_with_wait_then_it_follows_it_and_exits_0(
    automation: Automation,
) -> None:
    result = automation(
        "run", "follow-ups", "--reason", "cli: remind owners now", "--yes", "--wait", "--interval", "0.5"
    )

    assert result.code == 0, result.output
    assert "Started run" in result.stderr and "QUEUED" in result.stderr
    assert "of follow-ups: SUCCEEDED" in result.stdout
    assert "reason        cli: remind owners now" in result.stdout


def test_given_a_run_in_flight_when_running_again_then_refused_with_6_and_the_first_ends_partial_with_10(
    automation: Automation,
) -> None:
    waiting = automation.start(
        "run", "sequences", "--reason", "cli: first", "--yes", "--wait", "--json", "--interval", "0.5"
    )
    try:
        deadline = time.monotonic() + RUN_SECONDS
        while (in_flight := _job(automation, "sequences")["in_flight_run_id"]) is None:
            assert waiting.poll() is None and time.monotonic() < deadline, (
                "the first run never showed in flight"
            )
            time.sleep(0.2)

        refused = automation("run", "sequences", "--reason", "cli: second", "--yes", "--wait")

        stdout, stderr = waiting.communicate(timeout=RUN_SECONDS)
    finally:
        if waiting.poll() is None:
            waiting.kill()
    assert refused.code == 6, refused.output
    assert "already has a run in flight" in refused.stderr and in_flight in refused.stderr
    assert waiting.returncode == 10, stderr
    run = json.loads(stdout)
    assert (run["run_id"], run["status"]) == (in_flight, "PARTIAL")
    assert any("unverified-partner.example" in item["reason"] for item in run["item_errors"])


def test_given_a_partial_run_when_listing_runs_and_reading_it_then_its_failed_items_and_logs_show(
    automation: Automation, runtime: LocalRuntime
) -> None:
    listed = automation("runs", "--job", "sequences", "--status", "PARTIAL", "--since", "1h", "--json")
    table = automation("runs", "--job", "sequences")

    assert listed.code == 0 and table.code == 0
    runs = json.loads(listed.stdout)["runs"]
    assert len(runs) == 1 and runs[0]["trigger"] == "MANUAL"
    run_id = runs[0]["run_id"]
    assert run_id in table.stdout and "PARTIAL" in table.stdout and "by admin" in table.stdout
    detail = automation("run-detail", run_id)
    assert detail.code == 0, detail.output
    assert f"Run {run_id} of sequences: PARTIAL" in detail.stdout
    assert "Failed items" in detail.stdout and "unverified-partner.example" in detail.stdout
    assert f"Logs: {runtime.origin}/logs/{run_id}" in detail.stdout


@pytest.fixture
def ses_refusing_the_sender(runtime: LocalRuntime) -> Iterator[None]:
    """The sender identity removed, as when its verification lapses: every email is refused."""
    ses = runtime.aws("ses")
    for identity in SENDER_IDENTITIES:
        ses.delete_identity(Identity=identity)
    try:
        yield
    finally:
        ses.verify_email_identity(EmailAddress=SENDER_IDENTITIES[0])
        ses.verify_domain_identity(Domain=SENDER_IDENTITIES[1])


@pytest.mark.usefixtures("ses_refusing_the_sender")
def test_given_every_email_refused_when_run_with_wait_then_the_run_fails_and_it_exits_11(
    automation: Automation,
) -> None:
    result = automation(
        "run", "renewal-reminders", "--reason", "cli: renewals", "--yes", "--wait", "--interval", "0.5"
    )

    assert result.code == 11, result.output
    assert "of renewal-reminders: FAILED" in result.stdout
    assert "Error AllItemsFailed" in result.stdout


def test_given_a_failed_job_when_running_it_again_then_its_last_problem_is_shown_first(
    automation: Automation,
) -> None:
    _until_idle(automation, "renewal-reminders")

    result = automation("run", "renewal-reminders", "--reason", "cli: sender fixed", "--yes")

    assert result.code == 0, result.output
    assert result.stderr.index("Last problem of this job") < result.stderr.index("Started run")
    assert "AllItemsFailed" in result.stderr
    # Without --wait the run id is all stdout says, for a script to follow.
    assert result.stdout.strip() == _job(automation, "renewal-reminders")["last_run"]["run_id"]
    _until_idle(automation, "renewal-reminders")


def test_given_a_short_timeout_when_waiting_then_it_exits_13_and_the_run_goes_on(
    automation: Automation,
) -> None:
    result = automation(
        "run", "scheduled-reports", "--reason", "cli: reports", "--yes", "--wait", "--timeout", "0"
    )

    assert result.code == 13, result.output
    assert "still QUEUED after 0 s; it goes on" in result.stderr
    assert "automation run-detail" in result.stderr
    _until_idle(automation, "scheduled-reports")


def test_given_a_viewer_outside_admin_and_ceo_then_run_is_refused_with_4_and_the_groups_named(
    automation: Automation,
) -> None:
    automation.login("viewer", profile="viewer")

    run = automation(
        "run", "follow-ups", "--reason", "should not run", "--yes", "--wait", "--profile", "viewer"
    )
    status = automation("status", "--profile", "viewer")

    assert (run.code, status.code) == (4, 4)
    assert "no access" in run.stderr and "admin or ceo" in run.stderr


def test_given_no_session_when_running_then_nothing_starts_and_it_exits_3(automation: Automation) -> None:
    before = json.loads(automation("runs", "--job", "follow-ups", "--json").stdout)["runs"]

    result = automation("run", "follow-ups", "--reason", "x", "--yes", "--wait", "--profile", "signed-out")

    assert result.code == 3
    assert "not signed in" in result.stderr and "automation login --profile signed-out" in result.stderr
    assert json.loads(automation("runs", "--job", "follow-ups", "--json").stdout)["runs"] == before


def test_given_an_unknown_job_then_the_known_names_are_listed_with_exit_5(automation: Automation) -> None:
    result = automation("run", "invoices", "--reason", "x", "--yes")

    assert result.code == 5
    assert "unknown job 'invoices'" in result.stderr
    assert all(job in result.stderr for job in JOBS)


def test_given_no_terminal_and_no_yes_then_nothing_starts_and_it_exits_2(automation: Automation) -> None:
    before = json.loads(automation("runs", "--job", "follow-ups", "--json").stdout)["runs"]

    result = automation("run", "follow-ups", "--reason", "unconfirmed")

    assert result.code == 2
    assert "pass --yes" in result.stderr
    assert json.loads(automation("runs", "--job", "follow-ups", "--json").stdout)["runs"] == before


def test_given_the_printed_settings_and_a_login_when_running_make_smoke_then_every_step_passes(
    runtime: LocalRuntime, automation: Automation
) -> None:
    environment = automation.environment(
        env={"AUTOMATION_USERNAME": "ceo", "AUTOMATION_PASSWORD": runtime.logins["ceo"]}
    )

    # -o: the environment is installed already; the test must not rebuild it under itself.
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "smoke", "SMOKE_JOB=follow-ups"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environment,
        timeout=RUN_SECONDS * 2,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok  signed in as ceo (groups: ceo)" in result.stderr
    assert "ok  status: " in result.stderr
    assert "ok  started run" in result.stderr
    assert "ended SUCCEEDED" in result.stderr


def test_given_paused_jobs_when_resuming_then_their_next_run_shows_again(automation: Automation) -> None:
    for job in sorted(JOBS):
        result = automation("resume", job, "--reason", "cli tests done")
        assert result.code == 0, result.output
        assert f"Resumed {job}; next run in " in result.stderr

    listing = json.loads(automation("status", "--json").stdout)

    assert all(job["paused"] is None for job in listing["jobs"])
