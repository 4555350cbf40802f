"""Random requests on every endpoint: never a 500, and every 4xx in the error shape with no internals."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as event_
from hypothesis import strategies as st

from functions.catalog import JOB_NAMES
from tests.unit.api.api_events import api_event, assert_error_shape, claims, send

TEXT = st.text(max_size=60)
GROUPS = st.one_of(
    st.sampled_from(
        ["admin", "ceo", "admin,ceo", "[admin ceo]", '["admin", "ceo"]', "sales", "", "[]", "admin,"]
    ),
    TEXT,
)
ALLOWED = st.builds(
    claims,
    st.sampled_from(["admin", "ceo", "admin,ceo", "[admin ceo]", '["admin", "ceo"]']),
    username=TEXT,
    email=TEXT,
)
OTHERS = st.one_of(
    st.none(),
    st.builds(claims, GROUPS, sub=st.one_of(st.just("sub-1"), TEXT), username=TEXT, email=TEXT),
    st.dictionaries(st.sampled_from(["sub", "cognito:groups", "email", "cognito:username"]), TEXT),
)
# Mostly allowed callers, so that most examples get past authorization into the endpoint itself.
CALLERS = st.integers(0, 9).flatmap(lambda n: ALLOWED if n < 7 else OTHERS)
JOBS = st.one_of(st.sampled_from([*JOB_NAMES, "newsletters", "", "..", "%2F", "sequences%20"]), TEXT)
RUN_IDS = st.one_of(st.sampled_from(["01M8HGFFZ7PQWDHKJ3T50J04YN", "0" * 26, "Z" * 26]), TEXT)
QUERY_SAMPLES = [
    *JOB_NAMES,
    *("SUCCEEDED", "FAILED", "MANUAL", "SCHEDULE", "1", "100", "101", "-1", "1e3", "e30", "eyJ2IjoxfQ"),
    *(
        "2026-11-28T09:00:00Z",
        "2026-11-28T09:00:00+14:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
    ),
]
QUERY_VALUES = st.one_of(st.sampled_from(QUERY_SAMPLES), TEXT)
QUERIES = st.dictionaries(
    st.one_of(st.sampled_from(["job", "status", "trigger", "from", "to", "limit", "cursor"]), TEXT),
    st.one_of(QUERY_VALUES, st.lists(QUERY_VALUES, min_size=1, max_size=2)),
    max_size=5,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
BODIES = st.one_of(
    st.just(json.dumps({"reason": "fuzzing"})),
    st.none(),
    TEXT,
    JSON_VALUES.map(json.dumps),
    st.fixed_dictionaries(
        {"reason": st.one_of(TEXT, st.integers(), st.none(), st.text(min_size=490, max_size=520))}
    ).map(json.dumps),
)
HEADERS = st.dictionaries(
    st.sampled_from(
        ["Content-Type", "content-type", "Idempotency-Key", "Origin", "X-Forwarded-For", "Accept"]
    ),
    st.one_of(
        st.sampled_from(
            [
                *(
                    "application/json",
                    "text/plain",
                    "application/x-www-form-urlencoded",
                    "multipart/form-data",
                ),
                *("multipart/form-data; boundary=xyz", "http://127.0.0.1:8000", "key-1"),
            ]
        ),
        TEXT,
    ),
    max_size=4,
)

ENDPOINTS = {
    "list jobs": ("GET", lambda _: "/jobs", st.just("")),
    "job status": ("GET", "/jobs/{}".format, JOBS),
    "run log": ("GET", lambda _: "/runs", st.just("")),
    "run detail": ("GET", "/runs/{}".format, RUN_IDS),
    "run now": ("POST", "/jobs/{}/runs".format, JOBS),
    "pause": ("POST", "/jobs/{}/pause".format, JOBS),
    "resume": ("POST", "/jobs/{}/resume".format, JOBS),
    "openapi": ("GET", lambda _: "/openapi.json", st.just("")),
    "anything else": (
        "GET",
        lambda path: "/" + path,
        st.one_of(TEXT, st.sampled_from(["jobs/sequences/runs/extra", "runs/", "swagger", "JOBS"])),
    ),
}


def _encode_if(flag: bool, body: str | None) -> str | None:
    return base64.b64encode(body.encode()).decode() if flag and body is not None else body


@pytest.mark.filterwarnings("ignore:Received multipart/form-data without base64 encoding")
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    param=st.data(),
    caller=CALLERS,
    query=QUERIES,
    body=BODIES,
    headers=HEADERS,
    base64_encoded=st.sampled_from([False, False, False, True]),
    mangle_base64=st.booleans(),
)
def test_given_random_requests_when_sent_to_an_endpoint_then_never_500_and_errors_are_shaped(
    api, endpoint, param, caller, query, body, headers, base64_encoded, mangle_base64
):
    method, path_of, values = ENDPOINTS[endpoint]
    path = path_of(param.draw(values))
    payload = "%%not base64%%" if base64_encoded and mangle_base64 else _encode_if(base64_encoded, body)
    event = api_event(
        method,
        path,
        caller=caller or None,
        signed_in=caller is not None,
        query=query,
        body=payload,
        headers=headers,
        base64_encoded=base64_encoded,
    )
    if method == "POST" and body is None:
        event["body"] = None

    reply = send(event, api.context)
    event_(f"{reply.status} {reply.error_code}")

    assert reply.status < 500, reply.raw_body
    assert "Traceback" not in reply.raw_body
    if reply.status >= 400:
        assert_error_shape(reply)
    else:
        assert reply.body is not None
