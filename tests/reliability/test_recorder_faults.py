"""The failure recorder under faults of its own: a re-drive Lambda refuses is raised, never dropped."""

from __future__ import annotations

import pytest

from functions.data.errors import TransientStorageError
from functions.lifecycle.invoker import InvokeError
from functions.monitors import failure_recorder
from tests.reliability.world import destination_record, error_of


def _start_write(params: dict) -> bool:
    return "TICK#" in str(params.get("TransactItems", ""))


def test_given_lambda_throttles_the_redrive_when_recording_then_the_recorder_fails_for_lambda_to_retry(
    world, report
):
    # Given a tick whose start stayed throttled, so it never began its work
    world.seed_steps(2)
    world.faults.throttle_dynamodb("TransactWriteItems", times=200, when=_start_write)
    first = world.tick()
    assert isinstance(first.raised, TransientStorageError)
    world.faults.rules.clear()
    record = destination_record(
        "devsphere-automation-sequences", first.payload, first.request_id, error_of(first.raised)
    )
    context = world.platform.lambda_context(function_name="devsphere-automation-failure-recorder")

    # When Lambda throttles the recorder's re-drive past botocore's retries
    world.faults.error("lambda", "Invoke", "TooManyRequestsException", times=50, status=429)
    with pytest.raises(InvokeError, match="TooManyRequestsException"):
        failure_recorder.handler(record, context)
    assert world.faults.injected["lambda.Invoke:TooManyRequestsException"] >= 1

    # Then nothing was recorded on a guess: the tick is still unclaimed, so Lambda's retry of the recorder
    # re-drives it once the throttling passes
    assert world.run_log.find_tick_run("sequences", first.payload["scheduled_time"]) is None
    world.faults.rules.clear()
    assert failure_recorder.handler(record, context)["action"] == "redriven"
    world.due = []  # the re-driven invocation is Lambda's to deliver; this test is about the recorder
    report()
