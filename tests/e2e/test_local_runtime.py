"""`make dev` end to end: `python -m local` started as the README says, used as an admin would, then stopped.

One runtime serves the module (started with --fire-now, so every job has a scheduled run at once); the last
test interrupts it and expects a clean exit.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30
RUN_SECONDS = 40
STOP_SECONDS = 15
FINAL = {"SUCCEEDED", "PARTIAL", "FAILED", "TIMED_OUT", "SKIPPED"}
JOBS = {"sequences", "follow-ups", "scheduled-reports", "renewal-reminders"}
LOGIN_LINE = re.compile(r"^\s+(?P<user>admin|ceo|viewer)\s+/\s+(?P<password>\S+)")
MOTO_LINE = re.compile(r"^\s+AWS emulation\s+(?P<url>http://\S+)")
_T = TypeVar("_T")


@dataclass
class Runtime:
    process: subprocess.Popen[str]
    origin: str
    logins: dict[str, str] = field(default_factory=dict)
    moto_url: str = ""
    output: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def tail(self) -> str:
        return "\n".join(self.output[-40:])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _shell_environment() -> dict[str, str]:
    """A user's shell: without the settings the test suite gives its own process (log level, fake AWS)."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "POWERTOOLS_"))}
    return {**kept, "PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="module")
def runtime() -> Iterator[Runtime]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", str(port), "--moto-port", "0", "--fire-now"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_shell_environment(),
    )
    started = Runtime(process, f"http://127.0.0.1:{port}")

    def read_output() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip("\n")
            started.output.append(line)
            if login := LOGIN_LINE.match(line):
                started.logins[login["user"]] = login["password"]
            if moto := MOTO_LINE.match(line):
                started.moto_url = moto["url"]
            if line.startswith("Ready:"):
                started.ready.set()

    threading.Thread(target=read_output, daemon=True).start()
    begun = time.monotonic()
    try:
        while not started.ready.wait(0.2):
            if process.poll() is not None or time.monotonic() - begun > STARTUP_SECONDS:
                pytest.fail(f"the runtime was not ready within {STARTUP_SECONDS} s:\n{started.tail()}")
        yield started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_SECONDS)


# --- HTTP as the portal speaks it ---------------------------------------------------------------------


def _call(
    runtime: Runtime, method: str, path: str, token: str | None = None, body: Any = None, **headers: str
) -> tuple[int, dict[str, str], Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(runtime.origin + path, data=data, method=method, headers=headers)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None and "Content-Type" not in headers:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, answer_headers, raw = answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, raw = error.code, dict(error.headers), error.read()
    is_json = answer_headers.get("Content-Type", "").startswith("application/")
    return status, answer_headers, json.loads(raw) if is_json and raw else raw.decode()


def _sign_in(runtime: Runtime, username: str) -> str:
    config = _call(runtime, "GET", "/config.json")[2]
    status, _, answer = _call(
        runtime,
        "POST",
        "/auth",
        body={
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": config["clientId"],
            "AuthParameters": {"USERNAME": username, "PASSWORD": runtime.logins[username]},
        },
        **{
            "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    assert status == 200, answer
    token: str = answer["AuthenticationResult"]["IdToken"]
    return token


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
    return _sign_in(runtime, "admin")


def _idle(runtime: Runtime, token: str, job: str) -> None:
    def no_run_in_flight() -> bool | None:
        return _call(runtime, "GET", f"/api/jobs/{job}", token)[2]["in_flight_run_id"] is None or None

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
    status, _, body = _call(runtime, "GET", "/api/jobs", admin)

    assert status == 200
    assert {job["job"] for job in body["jobs"]} == JOBS


def test_given_fire_now_when_started_then_every_job_has_a_scheduled_run_and_rejected_addresses_show(
    runtime: Runtime, admin: str
) -> None:
    def scheduled_jobs() -> set[str] | None:
        runs = _call(runtime, "GET", "/api/runs?trigger=SCHEDULE&limit=50", admin)[2]["runs"]
        jobs = {run["job"] for run in runs}
        return jobs if jobs >= JOBS else None

    def finished_sequences_run() -> dict[str, Any] | None:
        runs = _call(runtime, "GET", "/api/runs?job=sequences&trigger=SCHEDULE", admin)[2]["runs"]
        return runs[0] if runs and runs[0]["status"] in FINAL else None

    assert _eventually("a scheduled run of every job", scheduled_jobs) == JOBS
    run = _eventually("the scheduled sequences run to finish", finished_sequences_run)
    detail = _call(runtime, "GET", f"/api/runs/{run['run_id']}", admin)[2]
    assert detail["status"] == "PARTIAL"
    assert detail["counts"]["succeeded"] > 100
    assert any("unverified-partner.example" in error["reason"] for error in detail["item_errors"])


def test_given_an_admin_when_running_a_job_now_then_it_finishes_and_its_logs_link_shows_its_lines(
    runtime: Runtime, admin: str
) -> None:
    _idle(runtime, admin, "sequences")
    status, headers, body = _call(
        runtime,
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
        run: dict[str, Any] = _call(runtime, "GET", f"/api/runs/{run_id}", admin)[2]
        return run if run["status"] in FINAL else None

    run = _eventually("the manual run to finish", finished)
    assert run["status"] in {"SUCCEEDED", "PARTIAL"}
    assert (run["trigger"], run["caller"]["username"]) == ("MANUAL", "admin")
    assert run["reason"] == "e2e: confirm the local runtime runs a job on demand"
    link = run["logs"]["link"]
    assert link == f"{runtime.origin}/logs/{run_id}"
    page_status, _, page = _call(runtime, "GET", link.removeprefix(runtime.origin))
    assert page_status == 200 and run_id in page
    lines_status, _, lines = _call(runtime, "GET", f"{link.removeprefix(runtime.origin)}.json", admin)
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

    paused = _call(runtime, "POST", "/api/jobs/follow-ups/pause", admin, {"reason": "e2e: supplier outage"})
    assert paused[0] == 200, paused
    assert paused[2]["paused"]["reason"] == "e2e: supplier outage"
    assert state() == "DISABLED"

    resumed = _call(runtime, "POST", "/api/jobs/follow-ups/resume", admin, {"reason": "e2e: outage over"})
    assert resumed[0] == 200, resumed
    assert resumed[2]["paused"] is None
    assert state() == "ENABLED"


def test_given_a_signed_in_user_outside_admin_and_ceo_then_the_api_refuses_with_403(runtime: Runtime) -> None:
    viewer = _sign_in(runtime, "viewer")

    listed = _call(runtime, "GET", "/api/jobs", viewer)
    run_now = _call(runtime, "POST", "/api/jobs/sequences/runs", viewer, {"reason": "should not run"})

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

    anonymous = _call(runtime, "GET", "/api/jobs")
    counterfeit = _call(runtime, "POST", "/api/jobs/sequences/runs", forged, {"reason": "forged"})

    for status, headers, body in (anonymous, counterfeit):
        assert (status, headers["WWW-Authenticate"]) == (401, "Bearer")
        assert body["error"]["code"] == "UNAUTHENTICATED"


def test_given_the_runtime_when_interrupted_with_ctrl_c_then_it_exits_cleanly(runtime: Runtime) -> None:
    runtime.process.send_signal(signal.SIGINT)

    code = runtime.process.wait(timeout=STOP_SECONDS)

    assert code == 0, runtime.tail()
    assert "Stopped." in runtime.output[-3:] or "Stopped." in runtime.tail()
