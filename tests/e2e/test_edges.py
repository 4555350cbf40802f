"""Hostile and careless requests against `python -m local` over HTTP: each gets a clear 4xx in the one error
shape, with the security headers, and nothing reaches the console as a traceback or a forged line.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urljoin

import pytest

from tests.e2e.edge_runtime import error_of, runtime
from tests.support.local_runtime import LocalRuntime

pytestmark = pytest.mark.e2e
__all__ = ["runtime"]

FINAL = {"SUCCEEDED", "PARTIAL", "FAILED", "TIMED_OUT", "SKIPPED"}
DEEP = ("[" * 1000 + "]" * 1000).encode()


@pytest.fixture(scope="module")
def admin(runtime: LocalRuntime) -> str:
    return runtime.token("admin")


@pytest.fixture(scope="module")
def viewer(runtime: LocalRuntime) -> str:
    return runtime.token("viewer")


def _json_body(value: Any) -> dict[str, Any]:
    return {"body": json.dumps(value).encode(), "Content-Type": "application/json"}


def _run_now(runtime: LocalRuntime, token: str, job: str, reason: str, key: str) -> tuple[int, dict, bytes]:
    return runtime.call(
        "POST",
        f"/api/jobs/{job}/runs",
        token,
        json.dumps({"reason": reason}).encode(),
        **{"Content-Type": "application/json", "Idempotency-Key": key},
    )


def _finished(runtime: LocalRuntime, token: str, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run: dict[str, Any] = json.loads(runtime.call("GET", f"/api/runs/{run_id}", token)[2])
        if run["status"] in FINAL:
            return run
        time.sleep(0.5)
    pytest.fail(f"run {run_id} did not finish:\n{runtime.tail()}")


# --- bodies ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["runs", "pause"])
def test_given_a_body_nested_1000_deep_then_an_admin_gets_400_and_a_viewer_403(
    runtime: LocalRuntime, admin: str, viewer: str, action: str
) -> None:
    headers = {"Content-Type": "application/json"}

    as_admin = runtime.call("POST", f"/api/jobs/follow-ups/{action}", admin, DEEP, **headers)
    as_viewer = runtime.call("POST", f"/api/jobs/follow-ups/{action}", viewer, DEEP, **headers)

    assert as_admin[0] == 400 and error_of(as_admin[2])["code"] == "INVALID_JSON"
    assert as_viewer[0] == 403 and error_of(as_viewer[2])["code"] == "FORBIDDEN"


def test_given_an_11_mb_body_then_the_413_arrives_after_the_body_was_read(runtime: LocalRuntime) -> None:
    body = b"x" * (11 * 1024 * 1024)
    head = (
        f"POST /api/jobs/follow-ups/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()

    answer = runtime.raw(head, body)

    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"413"
    assert error_of(rest.split(b"\r\n\r\n", 1)[1])["code"] == "PAYLOAD_TOO_LARGE"


def test_given_a_body_over_the_apis_limit_then_413_in_the_error_shape(
    runtime: LocalRuntime, admin: str
) -> None:
    status, _, body = runtime.call(
        "POST", "/api/jobs/follow-ups/runs", admin, **_json_body({"reason": "x" * 20_000})
    )

    assert status == 413 and error_of(body)["code"] == "PAYLOAD_TOO_LARGE"


# --- framing and paths ------------------------------------------------------------------------------


@pytest.mark.parametrize("content_length", ["abc", "-1", "1e3", "5, 6", "99999999999999999999999"], ids=str)
def test_given_a_malformed_content_length_then_400_and_the_connection_closes(
    runtime: LocalRuntime, content_length: str
) -> None:
    head = f"POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {content_length}\r\n\r\n"

    answer = runtime.raw(head.encode(), timeout=10)

    assert answer.split(b"\r\n", 1)[0].split()[1] == b"400"
    assert b"Connection: close" in answer
    assert error_of(answer.split(b"\r\n\r\n", 1)[1])["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(("length", "status"), [(300, 404), (4000, 404), (9000, 414), (70_000, 414)])
def test_given_a_long_path_on_the_portal_origin_then_a_json_answer_not_a_dropped_connection(
    runtime: LocalRuntime, length: int, status: int
) -> None:
    answer = runtime.raw(f"GET /{'a' * length} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode(), timeout=10)

    assert answer.split(b"\r\n", 1)[0].split()[1] == str(status).encode()
    error_of(answer.split(b"\r\n\r\n", 1)[1])


# --- the authorizer ---------------------------------------------------------------------------------


def test_given_no_token_or_no_bearer_scheme_then_401_as_the_deployed_gateway_answers(
    runtime: LocalRuntime, admin: str
) -> None:
    missing = runtime.call("GET", "/api/jobs")
    bare = runtime.call("GET", "/api/jobs", Authorization=admin)
    lowercase = runtime.call("GET", "/api/jobs", Authorization=f"bearer {admin}")

    for status, headers, body in (missing, bare):
        assert status == 401
        assert headers["WWW-Authenticate"] == "Bearer"
        assert error_of(body)["code"] == "UNAUTHENTICATED"
    assert lowercase[0] == 200


# --- run now ----------------------------------------------------------------------------------------


def test_given_a_run_started_then_its_location_resolves_against_the_request_url(
    runtime: LocalRuntime, admin: str
) -> None:
    url = f"{runtime.origin}/api/jobs/follow-ups/runs"

    status, headers, body = _run_now(runtime, admin, "follow-ups", "e2e: Location", "edge-location")
    run_id = json.loads(body)["run"]["run_id"]
    _finished(runtime, admin, run_id)
    followed = runtime.call("GET", urljoin(url, headers["Location"]).removeprefix(runtime.origin), admin)

    assert status == 202
    assert (followed[0], json.loads(followed[2])["run_id"]) == (200, run_id)


def test_given_an_idempotency_key_reused_for_another_reason_or_job_then_422_mismatch(
    runtime: LocalRuntime, admin: str
) -> None:
    first = _run_now(runtime, admin, "renewal-reminders", "e2e: first", "edge-reused")
    run_id = json.loads(first[2])["run"]["run_id"]
    _finished(runtime, admin, run_id)

    other_reason = _run_now(runtime, admin, "renewal-reminders", "e2e: second", "edge-reused")
    other_job = _run_now(runtime, admin, "scheduled-reports", "e2e: first", "edge-reused")
    same = _run_now(runtime, admin, "renewal-reminders", "e2e: first", "edge-reused")

    for status, _, body in (other_reason, other_job):
        assert status == 422
        error = error_of(body)
        assert (error["code"], error["run_id"]) == ("IDEMPOTENCY_KEY_MISMATCH", run_id)
    assert (same[0], json.loads(same[2])["run"]["run_id"]) == (202, run_id)


def test_given_an_unknown_job_with_a_long_name_then_the_404_echoes_it_bounded(
    runtime: LocalRuntime, admin: str
) -> None:
    status, _, body = runtime.call("GET", f"/api/jobs/{'n' * 500}%0Aforged", admin)

    error = error_of(body)
    assert (status, error["code"]) == (404, "JOB_NOT_FOUND")
    assert "n" * 65 not in error["message"] and "\n" not in error["message"]


def test_given_a_reason_with_a_line_break_then_the_console_shows_it_on_one_line(
    runtime: LocalRuntime, admin: str
) -> None:
    forged = "e2e\n00:00:00 ERROR   sequences          FORGEDLINE payments lost"

    paused = runtime.call("POST", "/api/jobs/sequences/pause", admin, **_json_body({"reason": forged}))
    runtime.call("POST", "/api/jobs/sequences/resume", admin, **_json_body({"reason": "e2e: done"}))

    assert paused[0] == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any("FORGEDLINE" in line for line in runtime.output):
        time.sleep(0.2)
    [printed] = [line for line in runtime.output if "FORGEDLINE" in line]
    assert "job paused" in printed and "reason=e2e\\n00:00:00" in printed


# --- the log view -----------------------------------------------------------------------------------


def test_given_a_runs_logs_then_only_an_admin_or_ceo_reads_them_and_unknown_runs_are_404(
    runtime: LocalRuntime, admin: str, viewer: str
) -> None:
    status, _, body = _run_now(runtime, admin, "follow-ups", "e2e: logs", "edge-logs")
    assert status == 202, body
    run = _finished(runtime, admin, json.loads(body)["run"]["run_id"])
    link = run["logs"]["link"].removeprefix(runtime.origin)

    page = runtime.call("GET", link)
    anonymous = runtime.call("GET", f"{link}.json")
    as_viewer = runtime.call("GET", f"{link}.json", viewer)
    as_admin = runtime.call("GET", f"{link}.json", admin)
    as_ceo = runtime.call("GET", f"{link}.json", runtime.token("ceo"))
    unknown = runtime.call("GET", "/logs/01JDX0000000000000000000ZZ.json", admin)

    assert page[0] == 200 and b"run finished" not in page[2]
    assert (anonymous[0], error_of(anonymous[2])["code"]) == (401, "UNAUTHENTICATED")
    assert (as_viewer[0], error_of(as_viewer[2])["code"]) == (403, "FORBIDDEN")
    assert as_admin[0] == as_ceo[0] == 200
    assert "run finished" in [line["message"] for line in json.loads(as_admin[2])["lines"]]
    assert (unknown[0], error_of(unknown[2])["code"]) == (404, "RUN_NOT_FOUND")


# --- security headers -------------------------------------------------------------------------------


def test_given_any_answer_then_it_carries_the_security_headers(runtime: LocalRuntime, admin: str) -> None:
    api = runtime.call("GET", "/api/jobs", admin)
    refused = runtime.call("GET", "/api/jobs")
    portal = runtime.call("GET", "/")
    logs = runtime.call("GET", "/logs/01JDX0000000000000000000ZZ")
    config = runtime.call("GET", "/config.json")

    for _, headers, _ in (api, refused, portal, logs, config):
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
    for _, headers, _ in (api, refused, config):
        assert headers["Cache-Control"] == "no-store"
    assert api[1]["Strict-Transport-Security"].startswith("max-age=")
    for _, headers, _ in (portal, logs):
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
