"""`make dev` end to end: `python -m local` started as the README says, used as an admin would, then stopped.

One runtime serves the module (started with --fire-now, so every job has a scheduled run at once); the last
test interrupts it and expects a clean exit.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import urljoin

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.local_runtime import LocalRuntime as Runtime
from tests.support.local_runtime import start_local_runtime

pytestmark = pytest.mark.e2e

STARTUP_SECONDS = 30
RUN_SECONDS = 40
STOP_SECONDS = 15
FINAL = {"SUCCEEDED", "PARTIAL", "FAILED", "TIMED_OUT", "SKIPPED"}
JOBS = {"sequences", "follow-ups", "scheduled-reports", "renewal-reminders"}
_T = TypeVar("_T")


@pytest.fixture(scope="module")
def runtime() -> Iterator[Runtime]:
    with start_local_runtime("--fire-now", startup_seconds=STARTUP_SECONDS) as started:
        yield started


def _eventually(what: str, check: Callable[[], _T | None], seconds: float = RUN_SECONDS) -> _T:
    """Polls the runtime (a separate process) until `check` gives a value; fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value is not None:
            return value
        time.sleep(0.5)
    pytest.fail(f"{what} did not happen within {seconds} s")


@pytest.fixture(scope="module")
def admin(runtime: Runtime) -> str:
    return runtime.token("admin")


def _idle(runtime: Runtime, token: str, job: str) -> None:
    def no_run_in_flight() -> bool | None:
        return runtime.call_json("GET", f"/api/jobs/{job}", token)[2]["in_flight_run_id"] is None or None

    _eventually(f"{job} to finish its run in flight", no_run_in_flight)


# --- the scenario ---------------------------------------------------------------------------------------


def test_given_make_dev_when_started_then_it_prints_the_url_logins_and_aws_endpoint(runtime: Runtime) -> None:
    assert set(runtime.logins) == {"admin", "ceo", "viewer"}
    assert runtime.moto_url.startswith("http://127.0.0.1:")
    assert any(line.startswith(f"Ready: {runtime.origin}/") for line in runtime.output)
    assert any("Ctrl-C" in line for line in runtime.output)


def test_given_an_admin_signed_in_through_auth_when_reading_jobs_then_every_job_is_listed(
    runtime: Runtime, admin: str
) -> None:
    status, _, body = runtime.call_json("GET", "/api/jobs", admin)

    assert status == 200
    assert {job["job"] for job in body["jobs"]} == JOBS


def test_given_fire_now_when_started_then_every_job_has_a_scheduled_run_and_rejected_addresses_show(
    runtime: Runtime, admin: str
) -> None:
    def scheduled_jobs() -> set[str] | None:
        runs = runtime.call_json("GET", "/api/runs?trigger=SCHEDULE&limit=50", admin)[2]["runs"]
        jobs = {run["job"] for run in runs}
        return jobs if jobs >= JOBS else None

    def finished_sequences_run() -> dict[str, Any] | None:
        runs = runtime.call_json("GET", "/api/runs?job=sequences&trigger=SCHEDULE", admin)[2]["runs"]
        return runs[0] if runs and runs[0]["status"] in FINAL else None

    assert _eventually("a scheduled run of every job", scheduled_jobs) == JOBS
    run = _eventually("the scheduled sequences run to finish", finished_sequences_run)
    detail = runtime.call_json("GET", f"/api/runs/{run['run_id']}", admin)[2]
    assert detail["status"] == "PARTIAL"
    assert detail["counts"]["succeeded"] > 100
    assert any("unverified-partner.example" in error["reason"] for error in detail["item_errors"])


def test_given_an_admin_when_running_a_job_now_then_it_finishes_and_its_logs_link_shows_its_lines(
    runtime: Runtime, admin: str
) -> None:
    _idle(runtime, admin, "sequences")
    status, headers, body = runtime.call_json(
        "POST",
        "/api/jobs/sequences/runs",
        admin,
        {"reason": "e2e: confirm the local runtime runs a job on demand"},
        **{"Idempotency-Key": "e2e-run-now"},
    )
    assert status == 202, body
    run_id = body["run"]["run_id"]
    assert urljoin(f"{runtime.origin}/api/jobs/sequences/runs", headers["Location"]) == (
        f"{runtime.origin}/api/runs/{run_id}"
    )

    def finished() -> dict[str, Any] | None:
        run: dict[str, Any] = runtime.call_json("GET", f"/api/runs/{run_id}", admin)[2]
        return run if run["status"] in FINAL else None

    run = _eventually("the manual run to finish", finished)
    # The demo's sandbox-rejected contacts are not bounced, so a run in which only they were due fails on
    # that one configuration cause; nothing else may fail it.
    assert run["status"] in {"SUCCEEDED", "PARTIAL"} or (
        run["status"] == "FAILED" and "configuration: verify the recipient" in run["error"]["message"]
    ), run.get("error")
    assert (run["trigger"], run["caller"]["username"]) == ("MANUAL", "admin")
    assert run["reason"] == "e2e: confirm the local runtime runs a job on demand"
    link = run["logs"]["link"]
    assert link == f"{runtime.origin}/logs/{run_id}"
    page_status, _, page = runtime.call_json("GET", link.removeprefix(runtime.origin))
    assert page_status == 200 and run_id in page
    lines_status, _, lines = runtime.call_json("GET", f"{link.removeprefix(runtime.origin)}.json", admin)
    assert lines_status == 200
    messages = [line["message"] for line in lines["lines"]]
    assert "run started" in messages and "run finished" in messages, runtime.tail()


def test_given_an_admin_when_pausing_and_resuming_then_the_embedded_scheduler_state_follows(
    runtime: Runtime, admin: str
) -> None:
    scheduler = boto3.client("scheduler", endpoint_url=runtime.moto_url, region_name="eu-west-2")

    def state() -> str:
        definition = scheduler.get_schedule(
            Name="devsphere-automation-follow-ups", GroupName="devsphere-automation"
        )
        return str(definition["State"])

    outage = {"reason": "e2e: supplier outage"}
    paused = runtime.call_json("POST", "/api/jobs/follow-ups/pause", admin, outage)
    assert paused[0] == 200, paused
    assert paused[2]["paused"]["reason"] == "e2e: supplier outage"
    assert state() == "DISABLED"

    resumed = runtime.call_json("POST", "/api/jobs/follow-ups/resume", admin, {"reason": "e2e: outage over"})
    assert resumed[0] == 200, resumed
    assert resumed[2]["paused"] is None
    assert state() == "ENABLED"


def test_given_a_signed_in_user_outside_admin_and_ceo_then_the_api_refuses_with_403(runtime: Runtime) -> None:
    viewer = runtime.token("viewer")

    listed = runtime.call_json("GET", "/api/jobs", viewer)
    run_now = runtime.call_json("POST", "/api/jobs/sequences/runs", viewer, {"reason": "should not run"})

    assert listed[0] == 403 and listed[2]["error"]["code"] == "FORBIDDEN"
    assert run_now[0] == 403


def test_given_no_token_or_a_forged_one_then_the_gateway_refuses_with_401(
    runtime: Runtime, admin: str
) -> None:
    claims = jwt.decode(admin, options={"verify_signature": False})
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        claims, other_key, algorithm="RS256", headers={"kid": jwt.get_unverified_header(admin)["kid"]}
    )

    anonymous = runtime.call_json("GET", "/api/jobs")
    counterfeit = runtime.call_json("POST", "/api/jobs/sequences/runs", forged, {"reason": "forged"})

    for status, headers, body in (anonymous, counterfeit):
        assert (status, headers["WWW-Authenticate"]) == (401, "Bearer")
        assert body["error"]["code"] == "UNAUTHENTICATED"


def test_given_the_runtime_when_interrupted_with_ctrl_c_then_it_exits_cleanly(runtime: Runtime) -> None:
    runtime.process.send_signal(signal.SIGINT)

    code = runtime.process.wait(timeout=STOP_SECONDS)

    assert code == 0, runtime.tail()
    assert "Stopped." in runtime.output[-3:] or "Stopped." in runtime.tail()
