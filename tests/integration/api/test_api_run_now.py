"""Run now: a queued run recording who and why, the job's function invoked with it, one run at a time."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from urllib.parse import urljoin

import boto3
import pytest

from functions.api import dependencies
from functions.api.app import app
from functions.catalog import get_job
from functions.clock import isoformat, parse_iso
from functions.lifecycle.events import manual_payload, scheduled_payload
from functions.lifecycle.invoker import LambdaInvoker
from functions.lifecycle.runner import JobRunner
from functions.settings import get_settings
from tests.unit.api.api_events import assert_error_shape, claims

REASON = {"reason": "re-sending after fixing the SMTP credentials"}


def _run_now(api, job="sequences", body=None, **options):
    return api("POST", f"/jobs/{job}/runs", body=REASON if body is None else body, **options)


def test_given_an_admin_when_running_a_job_now_then_a_queued_run_is_created_and_its_function_invoked(
    api, invoker, clock, run_log
):
    reply = _run_now(
        api, caller=claims("admin,ceo", sub="sub-7", username="dana", email="dana@devsphere.example")
    )

    assert reply.status == 202
    run = reply.body["run"]
    # Relative to the request URL: under the stage deployed, under /api locally.
    assert reply.headers["Location"] == f"../../runs/{run['run_id']}"
    assert urljoin("https://api.example/prod/jobs/sequences/runs", reply.headers["Location"]) == (
        f"https://api.example/prod/runs/{run['run_id']}"
    )
    assert invoker.calls == [
        (get_settings().function_name("sequences"), manual_payload("sequences", run["run_id"]))
    ]
    record = run_log.get_run(run["run_id"])
    assert (record.status, record.trigger, record.reason) == ("QUEUED", "MANUAL", REASON["reason"])
    assert (record.caller.sub, record.caller.username, record.caller.email) == (
        "sub-7",
        "dana",
        "dana@devsphere.example",
    )
    assert list(record.caller.groups) == ["admin", "ceo"]
    assert run["caller"]["groups"] == ["admin", "ceo"]
    assert run["triggered_by"] == "dana"
    assert parse_iso(run["deadline_at"]) == clock.now() + timedelta(seconds=300) + timedelta(minutes=5)


def test_given_a_queued_run_when_the_job_function_receives_the_payload_then_the_run_completes(
    api, invoker, run_log, clock, lambda_context
):
    run_id = _run_now(api).body["run"]["run_id"]
    function, payload = invoker.calls[0]
    runner = JobRunner(get_job("sequences"), lambda run, cursor: None, run_log=run_log, clock=clock)

    outcome = runner.handle(payload, lambda_context(function_name=function))
    reply = api("GET", f"/runs/{run_id}")

    assert outcome["outcome"] == "SUCCEEDED"
    assert reply.body["status"] == "SUCCEEDED"
    assert reply.body["reason"] == REASON["reason"]


def test_given_a_queued_run_when_running_the_job_again_then_409_names_the_queued_run(api, invoker):
    first = _run_now(api)

    second = _run_now(api, caller=claims("ceo", sub="sub-ceo", username="ceo"))

    assert second.status == 409
    assert second.error_code == "RUN_IN_FLIGHT"
    assert second.body["error"]["run_id"] == first.body["run"]["run_id"]
    assert_error_shape(second)
    assert len(invoker.calls) == 1


def test_given_a_scheduled_run_in_progress_when_running_the_job_now_then_409_names_that_run(
    api, run_log, clock, lambda_context
):
    replies = []

    def work(run, cursor):
        replies.append((run.run_id, _run_now(api)))

    runner = JobRunner(get_job("sequences"), work, run_log=run_log, clock=clock)
    runner.handle(scheduled_payload("sequences", isoformat(clock.now()), "exec-1"), lambda_context())

    [(running_id, reply)] = replies
    assert reply.status == 409
    assert reply.body["error"]["run_id"] == running_id


def test_given_the_same_idempotency_key_when_repeating_run_now_then_the_same_run_is_returned(api, invoker):
    key = {"Idempotency-Key": "portal-4f9c2e_1"}

    first = _run_now(api, headers=key)
    repeat = _run_now(api, headers=key)

    assert (first.status, repeat.status) == (202, 202)
    assert repeat.body["run"]["run_id"] == first.body["run"]["run_id"]
    assert repeat.headers["Location"] == first.headers["Location"]
    assert len(invoker.calls) == 1


def test_given_the_same_idempotency_key_after_the_run_finished_when_repeating_then_no_second_run(
    api, invoker, run_log, clock, lambda_context
):
    key = {"Idempotency-Key": "retry-after-timeout"}
    first = _run_now(api, headers=key)
    JobRunner(get_job("sequences"), lambda run, cursor: None, run_log=run_log, clock=clock).handle(
        invoker.calls[0][1], lambda_context()
    )

    repeat = _run_now(api, headers=key)
    fresh = _run_now(api, headers={"Idempotency-Key": "a-new-request"})

    assert repeat.status == 202
    assert repeat.body["run"]["run_id"] == first.body["run"]["run_id"]
    assert repeat.body["run"]["status"] == "SUCCEEDED"
    assert fresh.status == 202
    assert fresh.body["run"]["run_id"] != first.body["run"]["run_id"]
    assert len(invoker.calls) == 2


@pytest.mark.parametrize(
    ("job", "body"), [("sequences", {"reason": "a different reason"}), ("follow-ups", REASON)]
)
def test_given_an_idempotency_key_reused_for_a_different_request_then_422_and_no_second_run(
    api, invoker, job, body
):
    key = {"Idempotency-Key": "portal-reused-key"}
    first = _run_now(api, headers=key)

    reused = _run_now(api, job=job, body=body, headers=key)

    assert (reused.status, reused.error_code) == (422, "IDEMPOTENCY_KEY_MISMATCH")
    assert_error_shape(reused)
    assert reused.body["error"]["run_id"] == first.body["run"]["run_id"]
    assert len(invoker.calls) == 1


def test_given_lambda_refuses_the_invocation_when_running_now_then_502_and_the_run_is_failed(
    api, invoker, run_log
):
    invoker.refuse_with = "TooManyRequestsException: Rate exceeded"

    reply = _run_now(api)

    assert reply.status == 502
    assert reply.error_code == "INVOKE_FAILED"
    assert_error_shape(reply)
    record = run_log.get_run(reply.body["error"]["run_id"])
    assert record.status == "FAILED"
    assert (record.error.type, record.error.message) == (
        "InvokeFailed",
        "TooManyRequestsException: Rate exceeded",
    )
    invoker.refuse_with = None
    assert _run_now(api).status == 202


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "VALIDATION_ERROR"),
        ({"reason": ""}, 422, "VALIDATION_ERROR"),
        ({"reason": "   "}, 422, "VALIDATION_ERROR"),
        ({"reason": "x" * 501}, 422, "VALIDATION_ERROR"),
        ({"reason": 42}, 422, "VALIDATION_ERROR"),
        ({"reason": "ok", "priority": "high"}, 422, "VALIDATION_ERROR"),
        (["reason"], 422, "VALIDATION_ERROR"),
        ('{"reason": "unterminated', 400, "INVALID_JSON"),
        ("", 422, "VALIDATION_ERROR"),
    ],
)
def test_given_a_bad_body_when_running_now_then_it_is_refused_without_a_run(api, invoker, body, status, code):
    reply = _run_now(api, body=body)

    assert (reply.status, reply.error_code) == (status, code)
    assert_error_shape(reply)
    assert invoker.calls == []


@pytest.mark.parametrize("key", ["", "k" * 129, "has space", "semi;colon", "ключ"])
def test_given_a_bad_idempotency_key_when_running_now_then_422(api, invoker, key):
    reply = _run_now(api, headers={"Idempotency-Key": key})

    assert reply.status == 422
    assert reply.error_code == "VALIDATION_ERROR"
    assert invoker.calls == []


def test_given_an_unknown_job_when_running_it_now_then_404(api, invoker):
    reply = _run_now(api, job="newsletters")

    assert reply.status == 404
    assert reply.error_code == "JOB_NOT_FOUND"
    assert invoker.calls == []


def _create_function(name: str) -> None:
    role = boto3.client("iam").create_role(
        RoleName="job-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": package.getvalue()},
    )


def test_given_the_job_function_in_lambda_when_running_now_then_lambda_accepts_the_async_invoke(api, run_log):
    function = get_settings().function_name("sequences")
    _create_function(function)
    real = LambdaInvoker()
    app.dependency_overrides[dependencies.get_invoker] = lambda: real
    sent = []
    responses = []
    real_client = boto3.client("lambda")
    real._client = real_client
    real_client.meta.events.register("before-call.lambda.Invoke", lambda params, **_: sent.append(params))
    real_client.meta.events.register(
        "after-call.lambda.Invoke", lambda http_response, **_: responses.append(http_response.status_code)
    )

    reply = _run_now(api)

    assert reply.status == 202
    run_id = reply.body["run"]["run_id"]
    assert responses == [202]
    assert sent[0]["url_path"].endswith(f"/functions/{function}/invocations")
    assert sent[0]["headers"]["X-Amz-Invocation-Type"] == "Event"
    assert json.loads(sent[0]["body"]) == manual_payload("sequences", run_id)
    assert run_log.get_run(run_id).status == "QUEUED"


def test_given_a_lowercase_idempotency_header_when_repeating_run_now_then_the_same_run_is_returned(api):
    first = _run_now(api, headers={"idempotency-key": "lower-case-key"})
    repeat = _run_now(api, headers={"IDEMPOTENCY-KEY": "lower-case-key"})

    assert (first.status, repeat.status) == (202, 202)
    assert repeat.body["run"]["run_id"] == first.body["run"]["run_id"]
