"""The API without AWS: import, routing, CORS, validation and error answers, with fakes behind the routes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.api import dependencies
from functions.api.app import app
from functions.api.openapi import openapi_json
from functions.data.errors import ScheduleError, StorageError
from functions.settings import get_settings
from tests.unit.api.api_events import api_event, assert_error_shape, claims, send

ROOT = Path(__file__).resolve().parents[3]


class BrokenRunLog:
    """Fails the way a bug or an outage would, with details that must never reach the caller."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name: str):
        def fail(*args, **kwargs):
            raise self.error

        return fail


@pytest.fixture
def context(lambda_context):
    return lambda_context(function_name="devsphere-automation-api")


@pytest.fixture
def call(context) -> Iterator:
    yield lambda *args, **options: send(api_event(*args, **options), context)
    app.dependency_overrides.clear()


def test_given_no_aws_credentials_or_network_when_importing_the_app_then_it_answers_without_a_client():
    script = """
import botocore.session
build = botocore.session.Session.create_client
def refuse(self, service_name, *args, **kwargs):
    # The X-Ray SDK makes its sampling client when Powertools' Tracer is created: not ours, and offline.
    if service_name != "xray":
        raise AssertionError(f"a {service_name} client was built")
    return build(self, service_name, *args, **kwargs)
botocore.session.Session.create_client = refuse
from functions.api.app import app, handler
from functions.api.openapi import openapi_json
from tests.unit.api.api_events import api_event
class Context:
    function_name = "api"; memory_limit_in_mb = 256; aws_request_id = "r"
    invoked_function_arn = "arn:aws:lambda:eu-west-2:123456789012:function:api"
assert json.loads(openapi_json(app))["paths"]
print(handler(api_event("GET", "/jobs", signed_in=False), Context())["statusCode"])
print(handler(api_event("GET", "/nowhere"), Context())["statusCode"])
"""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update({"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"})
    env["POWERTOOLS_TRACE_DISABLED"] = "true"

    result = subprocess.run(
        [sys.executable, "-c", "import json\n" + script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["401", "404"]


def test_given_an_unknown_path_when_called_by_an_admin_then_404_not_found_in_the_error_shape(call):
    reply = call("DELETE", "/jobs")

    assert reply.status == 404
    assert reply.error_code == "NOT_FOUND"
    assert_error_shape(reply)


@pytest.mark.parametrize(
    ("options", "status"), [({"signed_in": False}, 401), ({"caller": claims("sales")}, 403)]
)
def test_given_an_unknown_path_when_called_without_rights_then_refused_before_anything_else(
    call, options, status
):
    reply = call("GET", "/admin/secrets", **options)

    assert reply.status == status
    assert reply.headers.get("WWW-Authenticate") == ("Bearer" if status == 401 else None)


def test_given_an_authorizer_with_empty_claims_when_called_then_401(call):
    reply = call("GET", "/jobs", caller={})

    assert reply.status == 401
    assert reply.error_code == "UNAUTHENTICATED"


def test_given_the_portal_origin_when_calling_then_cors_allows_it_and_exposes_location(call):
    reply = call("GET", "/nowhere", headers={"Origin": get_settings().portal_origin})

    assert reply.headers["Access-Control-Allow-Origin"] == get_settings().portal_origin
    assert "Location" in reply.headers["Access-Control-Expose-Headers"]
    # An action done without its audit entry says so in this header: the portal on its origin must read it.
    assert "Audit-Warning" in reply.headers["Access-Control-Expose-Headers"]


def test_given_another_origin_when_calling_then_no_cors_headers_are_sent(call):
    reply = call("GET", "/nowhere", headers={"Origin": "https://evil.example"})

    assert "Access-Control-Allow-Origin" not in reply.headers


def test_given_a_preflight_from_the_portal_when_sent_without_credentials_then_204_allowing_our_headers(call):
    reply = call(
        "OPTIONS",
        "/jobs/sequences/runs",
        signed_in=False,
        headers={"Origin": get_settings().portal_origin, "Access-Control-Request-Method": "POST"},
    )

    assert reply.status == 204
    allowed = reply.headers["Access-Control-Allow-Headers"].split(",")
    assert {"Authorization", "Content-Type", "Idempotency-Key"} <= set(allowed)
    assert "POST" in reply.headers["Access-Control-Allow-Methods"]


def test_given_an_oversize_limit_when_listing_runs_then_422_names_the_field(call):
    reply = call("GET", "/runs", query={"limit": "1000"})

    assert reply.status == 422
    assert reply.error_code == "VALIDATION_ERROR"
    assert reply.body["error"]["details"][0]["field"] == "query.limit"


def test_given_a_bug_behind_a_route_when_called_then_500_with_a_request_id_and_no_internals(call, context):
    secret = RuntimeError("connection to db-prod.internal:5432 failed, password=hunter2")
    app.dependency_overrides[dependencies.get_run_log] = lambda: BrokenRunLog(secret)
    event = api_event("GET", "/jobs")

    reply = send(event, context)

    assert reply.status == 500
    assert reply.error_code == "INTERNAL_ERROR"
    assert reply.body["error"]["request_id"] == event["requestContext"]["requestId"]
    for leak in ("hunter2", "db-prod", "RuntimeError", "Traceback", ".py"):
        assert leak not in reply.raw_body


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (StorageError("GetItem failed: ProvisionedThroughputExceededException"), 503, "STORAGE_UNAVAILABLE"),
        (ScheduleError("update_schedule failed: ThrottlingException"), 502, "SCHEDULER_FAILED"),
    ],
)
def test_given_an_aws_failure_when_called_then_a_gateway_status_without_sdk_details(
    call, error, status, code
):
    app.dependency_overrides[dependencies.get_run_log] = lambda: BrokenRunLog(error)

    reply = call("GET", "/runs/01M8HGFFZ7PQWDHKJ3T50J04YN")

    assert (reply.status, reply.error_code) == (status, code)
    assert "Exception" not in reply.body["error"]["message"]
    assert reply.body["error"]["request_id"]


def test_given_the_openapi_route_when_fetched_then_it_serves_the_generated_document(call):
    reply = call("GET", "/openapi.json")

    assert reply.status == 200
    assert reply.raw_body == openapi_json(app)
    jobs = {
        "/jobs",
        "/jobs/{job}",
        "/jobs/{job}/runs",
        "/jobs/{job}/pause",
        "/jobs/{job}/resume",
        "/jobs/{job}/activity",
    }
    runs = {
        "/runs",
        "/runs/{run_id}",
        "/runs/{run_id}/unconfirmed/release",
        "/runs/{run_id}/parked/release",
        "/runs/{run_id}/retry",
        "/runs/{run_id}/cancel",
    }
    assert set(reply.body["paths"]) == {*jobs, *runs, "/incidents"}
    assert reply.body["paths"]["/jobs/{job}/runs"]["post"]["responses"]["409"]["content"]


def test_given_the_openapi_module_when_run_twice_then_the_output_is_identical_json():
    run = [sys.executable, "-m", "functions.api.openapi"]

    outputs = [
        subprocess.run(run, cwd=ROOT, capture_output=True, text=True, check=True).stdout for _ in range(2)
    ]

    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["info"]["title"] == "DevSphere Automation admin API"
