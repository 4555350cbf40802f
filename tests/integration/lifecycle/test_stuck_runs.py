"""A run never stays RUNNING forever: the watchdog and the failure recorder both settle it."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from functions.catalog import CATALOG, get_job
from functions.data.run_types import Caller
from functions.data.vocabulary import RunStatus
from functions.ids import new_run_id
from functions.lifecycle.events import manual_payload, scheduled_payload
from functions.lifecycle.failures import record_destination_failure
from functions.lifecycle.runner import JobRunner
from functions.lifecycle.watchdog import watch

FUNCTION = "devsphere-automation-sequences"


class LambdaKilled(BaseException):
    """Stands in for Lambda ending the invocation: no `except Exception` of ours runs."""


class RecordingAlerts:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def publish(self, subject: str, body: dict) -> None:
        self.sent.append((subject, body))


class RecordingRedrive:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, function: str, payload: dict) -> None:
        self.calls.append((function, payload))


def _killed_run(run_log, clock, lambda_context, tick="2026-11-28T09:00:00Z") -> tuple[str, str]:
    """A run whose invocation Lambda killed at its timeout: returns its run id and request id."""
    started = {}

    def work(run, cursor):
        started["run_id"] = run.run_id
        clock.advance(timedelta(seconds=301))
        raise LambdaKilled

    runner = JobRunner(get_job("sequences"), work, run_log=run_log, clock=clock)
    context = lambda_context(timeout_seconds=300)
    with contextlib.suppress(LambdaKilled):
        runner.handle(scheduled_payload("sequences", tick, "e1"), context)
    return started["run_id"], context.aws_request_id


def _destination_record(
    payload: dict, timed_out: bool = True, request_id: str = "e0c8f3b8-7a1b-4d7e-9a1b-2f3c4d5e6f70"
) -> dict:
    """The shape Lambda sends to an on-failure destination after the async retries are exhausted."""
    response = (
        {
            "errorType": "Sandbox.Timedout",
            "errorMessage": "RequestId: abc Error: Task timed out after 300.00 seconds",
        }
        if timed_out
        else {
            "errorType": "Runtime.ImportModuleError",
            "errorMessage": "Unable to import module 'functions.jobs.sequences': No module named 'x'",
            "stackTrace": ['  File "/var/task/functions/jobs/sequences.py", line 3'],
        }
    )
    return {
        "version": "1.0",
        "timestamp": "2026-11-28T09:05:01.000Z",
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"arn:aws:lambda:eu-west-2:123456789012:function:{FUNCTION}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": response,
    }


def test_given_a_run_killed_at_its_deadline_when_the_watchdog_passes_then_it_is_timed_out(
    run_log, clock, lambda_context
):
    run_id, _ = _killed_run(run_log, clock, lambda_context)
    assert run_log.get_run(run_id).status == RunStatus.RUNNING
    alerts = RecordingAlerts()

    clock.advance(timedelta(seconds=30))
    early = watch(CATALOG, run_log, alerts, clock.now())
    clock.advance(timedelta(minutes=3))
    report = watch(CATALOG, run_log, alerts, clock.now())

    assert early["sequences"]["marked_stuck"] == []
    assert report["sequences"]["marked_stuck"] == [run_id]
    run = run_log.get_run(run_id)
    assert run.status == RunStatus.TIMED_OUT
    assert run.error.where == "watchdog"
    assert run_log.get_state("sequences").lock_run_id is None
    assert report["sequences"]["health"] == "FAILING"
    assert [subject for subject, _ in alerts.sent] == ["DevSphere Automation: sequences is TIMED_OUT"]


def test_given_a_timeout_destination_record_when_recorded_then_the_run_is_timed_out(
    run_log, clock, lambda_context
):
    run_id, request_id = _killed_run(run_log, clock, lambda_context)
    record = _destination_record(
        scheduled_payload("sequences", "2026-11-28T09:00:00Z", "e1"), request_id=request_id
    )

    decision = record_destination_failure(record, run_log, clock.now(), RecordingRedrive())

    assert decision.action == "marked" and decision.run is not None and decision.run.run_id == run_id
    run = run_log.get_run(run_id)
    assert run.status == RunStatus.TIMED_OUT
    assert run.error.type == "Sandbox.Timedout"
    assert "Task timed out after 300.00 seconds" in run.error.message
    assert "RetriesExhausted" in run.error.where
    assert run_log.get_state("sequences").lock_run_id is None
    # The watchdog later finds nothing left to mark, and a second record changes nothing.
    assert (
        record_destination_failure(record, run_log, clock.now(), RecordingRedrive()).action
        == "already-closed"
    )


def test_given_an_old_runtime_timeout_message_when_recorded_then_it_is_still_a_timeout(
    run_log, clock, lambda_context
):
    _, request_id = _killed_run(run_log, clock, lambda_context)
    record = _destination_record(
        scheduled_payload("sequences", "2026-11-28T09:00:00Z", "e1"), request_id=request_id
    )
    record["responsePayload"] = {
        "errorMessage": "2026-11-28T09:05:00Z abc Task timed out after 300.00 seconds"
    }

    decision = record_destination_failure(record, run_log, clock.now(), RecordingRedrive())

    assert decision.run is not None and decision.run.status == RunStatus.TIMED_OUT


def test_given_a_function_that_crashed_before_recording_when_recorded_then_the_tick_gets_a_failed_run(
    run_log, clock
):
    payload = scheduled_payload("sequences", "2026-11-28T09:00:00Z", "e1")
    redrive = RecordingRedrive()

    # It is invoked again first: a fault before the work began must not cost the tick.
    first = record_destination_failure(
        _destination_record(payload, timed_out=False), run_log, clock.now(), redrive
    )
    assert first.action == "redriven"
    assert redrive.calls == [
        (f"arn:aws:lambda:eu-west-2:123456789012:function:{FUNCTION}", {**payload, "redrive": 1})
    ]
    assert run_log.find_tick_run("sequences", "2026-11-28T09:00:00Z") is None

    # Once the re-drives failed too, the tick gets a failed run of its own.
    last = {**payload, "redrive": 2}
    decision = record_destination_failure(
        _destination_record(last, timed_out=False), run_log, clock.now(), redrive
    )
    marked = decision.run

    assert decision.action == "crashed-tick" and marked is not None
    assert len(redrive.calls) == 1
    assert marked.status == RunStatus.FAILED
    assert marked.error.type == "Runtime.ImportModuleError"
    assert "sequences.py" in marked.error.stack
    assert run_log.find_tick_run("sequences", "2026-11-28T09:00:00Z") == marked.run_id
    assert run_log.get_state("sequences").consecutive_failures == 1
    assert marked.logs.log_group == f"/aws/lambda/{FUNCTION}"
    assert marked.run_id in marked.logs.link


def test_given_a_queued_manual_run_that_never_started_when_the_watchdog_passes_then_it_failed(run_log, clock):
    run_id = new_run_id(clock.now())
    run_log.create_queued(
        "follow-ups", run_id, clock.now(), clock.now() + timedelta(minutes=10), Caller(sub="u-1"), "retry"
    )

    clock.advance(timedelta(minutes=13))
    watch(CATALOG, run_log, RecordingAlerts(), clock.now())

    run = run_log.get_run(run_id)
    assert run.status == RunStatus.FAILED
    assert run.error.type == "NeverStarted"


def test_given_a_cancelled_queued_run_never_picked_up_when_the_watchdog_passes_then_it_is_cancelled(
    run_log, clock
):
    # Given a queued run an admin cancelled, whose function never picked it up
    run_id = new_run_id(clock.now())
    run_log.create_queued(
        "follow-ups", run_id, clock.now(), clock.now() + timedelta(minutes=10), Caller(sub="u-1"), "try"
    )
    run_log.request_cancel(run_id, Caller(sub="u-2", username="grace"), "wrong template", clock.now())

    # When the watchdog passes after its deadline
    clock.advance(timedelta(minutes=13))
    report = watch(CATALOG, run_log, RecordingAlerts(), clock.now())

    # Then it ends as the admin asked, saying why it never ran, and the job is not called failing for it
    run = run_log.get_run(run_id)
    assert run.status == RunStatus.CANCELLED
    assert run.error.message == (
        "cancelled by grace: wrong template; then the run was queued but its function never picked it up"
    )
    assert report["follow-ups"]["health"] != "FAILING"


def test_given_a_cancelled_run_killed_before_its_checkpoint_when_the_watchdog_passes_then_it_is_cancelled(
    run_log, clock, lambda_context
):
    run_id, _ = _killed_run(run_log, clock, lambda_context)
    run_log.request_cancel(run_id, Caller(sub="u-2", username="grace"), "stop it", clock.now())

    clock.advance(timedelta(minutes=3, seconds=30))
    report = watch(CATALOG, run_log, RecordingAlerts(), clock.now())

    run = run_log.get_run(run_id)
    assert run.status == RunStatus.CANCELLED
    assert run.error.message.startswith("cancelled by grace: stop it; then no outcome was recorded by ")
    assert report["sequences"]["marked_stuck"] == [run_id]
    assert run_log.get_state("sequences").lock_run_id is None


def test_given_a_queued_manual_run_when_its_invocation_arrives_twice_then_it_runs_once(
    run_log, clock, lambda_context
):
    run_id = new_run_id(clock.now())
    run_log.create_queued(
        "sequences", run_id, clock.now(), clock.now() + timedelta(minutes=10), Caller(sub="u-1"), "check"
    )
    calls = []
    runner = JobRunner(
        get_job("sequences"), lambda run, cursor: calls.append(run.run_id), run_log=run_log, clock=clock
    )

    first = runner.handle(manual_payload("sequences", run_id), lambda_context())
    second = runner.handle(manual_payload("sequences", run_id), lambda_context())

    assert first == {"outcome": "SUCCEEDED", "run_id": run_id, "counts": first["counts"]}
    assert second["outcome"] == "duplicate"
    assert calls == [run_id]
    run = run_log.get_run(run_id)
    assert run.caller.sub == "u-1"
    assert run.reason == "check"
    assert run.started_at is not None
