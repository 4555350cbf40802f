"""Who may do what, on every endpoint: admin and ceo all, other signed-in users 403, no identity 401."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from functions.settings import get_settings
from tests.unit.api.api_events import assert_error_shape, claims

ENDPOINTS = {
    "list jobs": ("GET", "/jobs", None, 200),
    "job status": ("GET", "/jobs/sequences", None, 200),
    "run log": ("GET", "/runs", None, 200),
    "run detail": ("GET", "/runs/{run_id}", None, 200),
    "run now": ("POST", "/jobs/sequences/runs", {"reason": "matrix"}, 202),
    "pause": ("POST", "/jobs/sequences/pause", {"reason": "matrix"}, 200),
    "resume": ("POST", "/jobs/sequences/resume", {"reason": "matrix"}, 200),
    "openapi": ("GET", "/openapi.json", None, 200),
}
IDENTITIES: dict[str, tuple[dict[str, Any], int | None]] = {
    "admin": ({"caller": claims("admin")}, None),
    "ceo": ({"caller": claims("ceo")}, None),
    "admin and ceo": ({"caller": claims("admin,ceo")}, None),
    "admin and ceo, HTTP API form": ({"caller": claims("[admin ceo]")}, None),
    "another group": ({"caller": claims("sales")}, 403),
    "no groups": ({"caller": claims(None)}, 403),
    "no claims": ({"signed_in": False}, 401),
}


@pytest.fixture
def existing_run(run_ticks) -> str:
    return run_ticks("follow-ups", [datetime(2026, 11, 28, 9, 0, tzinfo=UTC)])[0]


def _schedule_state(job: str) -> str:
    settings = get_settings()
    client = boto3.client("scheduler")
    return client.get_schedule(Name=settings.schedule_name(job), GroupName=settings.schedule_group)["State"]


@pytest.mark.parametrize("identity", IDENTITIES)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_given_an_identity_when_calling_an_endpoint_then_the_status_follows_its_groups(
    api, invoker, existing_run, endpoint, identity
):
    method, path, body, allowed_status = ENDPOINTS[endpoint]
    options, refused_status = IDENTITIES[identity]

    reply = api(method, path.format(run_id=existing_run), body=body, **options)

    assert reply.status == (refused_status or allowed_status), reply.raw_body
    if refused_status:
        assert reply.error_code == {401: "UNAUTHENTICATED", 403: "FORBIDDEN"}[refused_status]
        assert_error_shape(reply)
        assert invoker.calls == []
        assert _schedule_state("sequences") == "ENABLED"


@pytest.mark.parametrize("identity", ["another group", "no claims"])
def test_given_a_refused_caller_with_invalid_input_when_calling_then_refusal_comes_before_validation(
    api, identity
):
    options, refused_status = IDENTITIES[identity]

    reply = api("GET", "/runs", query={"limit": "5000"}, **options)

    assert reply.status == refused_status
