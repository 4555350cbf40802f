"""The Lambda emulation: real handlers in-process, Lambda's context, timeouts, the on-failure destination."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from functions.clock import ManualClock, isoformat
from functions.data.run_log import RunLog
from functions.lifecycle.context import RunContext
from functions.lifecycle.events import scheduled_payload
from functions.lifecycle.failures import MAX_REDRIVES
from functions.lifecycle.runner import job_handler
from functions.monitors import failure_recorder
from local.lambdas import FunctionSpec, LambdaEndpoint, LambdaService, load_handler
from local.logs import LogStore

ACCOUNT = "123456789012"
SEQUENCES = "devsphere-automation-sequences"
RECORDER = "devsphere-automation-failure-recorder"
TICK = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


class Blocking:
    """A job page that waits until the test lets it go: a run overrunning its timeout, without sleeping."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def work(self, run: RunContext, cursor: str | None) -> str | None:
        self.entered.set()
        self.release.wait(timeout=30)
        return None


def _crash(event: Any, context: Any) -> Any:
    raise RuntimeError("the platform table is missing")


def _collect(records: list[dict[str, Any]]) -> Any:
    return lambda event, context: records.append(event)


class WatchedLogs(LogStore):
    """Signals when the emulation reports that it ignored a late result."""

    def __init__(self) -> None:
        super().__init__()
        self.late_result_ignored = threading.Event()

    def add(self, line: dict[str, Any]) -> None:
        super().add(line)
        if "after the timeout ignored" in str(line.get("message")):
            self.late_result_ignored.set()


def _service(
    clock: ManualClock, handlers: dict[str, Any], timeout: int = 300, logs: LogStore | None = None
) -> LambdaService:
    return LambdaService(
        [
            FunctionSpec(SEQUENCES, "sequences", timeout, 512, on_failure=RECORDER),
            FunctionSpec(RECORDER, "recorder", 60, 256),
        ],
        region="eu-west-2",
        account_id=ACCOUNT,
        logs=logs or LogStore(),
        clock=clock,
        workers=3,
        loader=handlers.__getitem__,
    )


@pytest.fixture
def stop_after() -> Iterator[list[LambdaService]]:
    services: list[LambdaService] = []
    yield services
    for service in services:
        service.wait_idle(timeout=20)
        service.stop()


def test_given_a_handler_past_its_timeout_when_the_deadline_passes_then_the_recorder_marks_the_run_timed_out(
    aws: None, clock: ManualClock, stop_after: list[LambdaService]
) -> None:
    blocking = Blocking()
    service = _service(
        clock, {"sequences": job_handler("sequences", blocking.work), "recorder": failure_recorder.handler}
    )
    stop_after.append(service)
    service.start()
    service.invoke_async(SEQUENCES, scheduled_payload("sequences", isoformat(TICK), "exec-1"))
    assert blocking.entered.wait(timeout=20)
    run_log = RunLog(90)
    run_id = run_log.find_tick_run("sequences", isoformat(TICK))
    assert run_id is not None and run_log.get_run(run_id).status == "RUNNING"

    clock.advance(timedelta(seconds=300))
    expired = service.expire_overdue()

    assert len(expired) == 1
    assert service.wait_idle(timeout=20)
    run = run_log.get_run(run_id)
    assert run.status == "TIMED_OUT"
    assert run.error.type == "Sandbox.Timedout"
    assert f"{expired[0]} Task timed out after 300.00 seconds" in run.error.message
    blocking.release.set()


def test_given_a_late_result_when_the_timed_out_handler_returns_then_it_is_ignored(
    aws: None, clock: ManualClock, stop_after: list[LambdaService]
) -> None:
    blocking = Blocking()
    recorded: list[dict[str, Any]] = []
    logs = WatchedLogs()
    handlers = {"sequences": job_handler("sequences", blocking.work), "recorder": _collect(recorded)}
    service = _service(clock, handlers, logs=logs)
    stop_after.append(service)
    service.start()
    service.invoke_async(SEQUENCES, scheduled_payload("sequences", isoformat(TICK), "exec-1"))
    assert blocking.entered.wait(timeout=20)
    clock.advance(timedelta(seconds=301))
    service.expire_overdue()
    assert service.wait_idle(timeout=20)

    blocking.release.set()
    assert logs.late_result_ignored.wait(timeout=20)
    assert service.wait_idle(timeout=20)

    assert len(recorded) == 1, "the late success must not undo or repeat the timeout report"
    assert recorded[0]["responsePayload"]["errorType"] == "Sandbox.Timedout"


def test_given_an_exception_escaping_a_handler_when_invoked_async_then_the_recorder_gets_lambdas_record(
    aws: None, clock: ManualClock, stop_after: list[LambdaService]
) -> None:
    recorded: list[dict[str, Any]] = []
    service = _service(clock, {"sequences": _crash, "recorder": _collect(recorded)})
    stop_after.append(service)
    service.start()
    event = scheduled_payload("sequences", isoformat(TICK), "exec-1")

    request_id = service.invoke_async(SEQUENCES, event)

    assert service.wait_idle(timeout=20)
    [record] = recorded
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"arn:aws:lambda:eu-west-2:{ACCOUNT}:function:{SEQUENCES}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 1,
    }
    assert record["requestPayload"] == event
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert record["responsePayload"]["errorMessage"] == "the platform table is missing"
    assert any("_crash" in frame for frame in record["responsePayload"]["stackTrace"])


def test_given_a_crashed_scheduled_invocation_when_the_real_recorder_runs_then_the_tick_has_a_failed_run(
    aws: None, clock: ManualClock, stop_after: list[LambdaService], monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[dict[str, Any]] = []

    def crash_counting(event: dict[str, Any], context: Any) -> Any:
        attempts.append(event)
        return _crash(event, context)

    service = _service(clock, {"sequences": crash_counting, "recorder": failure_recorder.handler})
    stop_after.append(service)
    service.start()
    # The recorder re-drives a tick that never started through boto3's Lambda client, as in AWS.
    endpoint = LambdaEndpoint(0, service)
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", endpoint.url)

    service.invoke_async(SEQUENCES, scheduled_payload("sequences", isoformat(TICK), "exec-1"))

    assert _wait_for(lambda: len(attempts) == 1 + MAX_REDRIVES and service.wait_idle(timeout=1))
    endpoint.shutdown()
    endpoint.server_close()
    assert [event.get("redrive") for event in attempts] == [None, 1, 2]
    run_log = RunLog(90)
    run_id = run_log.find_tick_run("sequences", isoformat(TICK))
    assert run_id is not None
    run = run_log.get_run(run_id)
    assert (run.status, run.error.type, run.error.message) == (
        "FAILED",
        "RuntimeError",
        "the platform table is missing",
    )


def _wait_for(condition: Any, timeout: float = 20) -> bool:
    """Polls a condition the emulation reaches through its own threads (re-drives go over HTTP)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        threading.Event().wait(0.05)
    return False


def test_given_a_synchronous_invocation_when_the_handler_raises_then_no_destination_is_called(
    clock: ManualClock, stop_after: list[LambdaService]
) -> None:
    recorded: list[dict[str, Any]] = []
    service = _service(clock, {"sequences": _crash, "recorder": _collect(recorded)})
    stop_after.append(service)
    service.start()

    result = service.invoke(SEQUENCES, {"job": "sequences"})

    assert result.error is not None and result.error["errorType"] == "RuntimeError"
    assert service.wait_idle(timeout=20)
    assert recorded == []


def test_given_a_handler_when_invoked_then_its_context_is_lambdas_with_time_left_from_the_timeout(
    clock: ManualClock, stop_after: list[LambdaService]
) -> None:
    seen: list[Any] = []

    def handler(event: Any, context: Any) -> dict[str, Any]:
        seen.append(context)
        return {"remaining": context.get_remaining_time_in_millis(), "event": event}

    service = _service(clock, {"sequences": handler}, timeout=120)
    stop_after.append(service)
    service.start()

    result = service.invoke(f"arn:aws:lambda:eu-west-2:{ACCOUNT}:function:{SEQUENCES}:$LATEST", {"a": 1})

    assert result.payload == {"remaining": 120_000, "event": {"a": 1}}
    [context] = seen
    assert context.function_name == SEQUENCES
    assert context.invoked_function_arn == f"arn:aws:lambda:eu-west-2:{ACCOUNT}:function:{SEQUENCES}"
    assert context.memory_limit_in_mb == 512
    assert context.log_group_name == f"/aws/lambda/{SEQUENCES}"
    assert context.aws_request_id and "[$LATEST]" in context.log_stream_name


def test_given_a_missing_module_or_an_unserialisable_result_then_lambdas_runtime_errors_are_reported(
    clock: ManualClock, stop_after: list[LambdaService]
) -> None:
    def loader(path: str) -> Any:
        return (lambda event, context: object()) if path == "returns.object" else load_handler(path)

    service = LambdaService(
        [
            FunctionSpec("missing", "functions.jobs.no_such_job.handler", 60, 128),
            FunctionSpec("unserialisable", "returns.object", 60, 128),
        ],
        region="eu-west-2",
        account_id=ACCOUNT,
        logs=LogStore(),
        clock=clock,
        workers=1,
        loader=loader,
    )
    stop_after.append(service)
    service.start()

    missing = service.invoke("missing", {})
    unserialisable = service.invoke("unserialisable", {})

    assert missing.error is not None and missing.error["errorType"] == "Runtime.ImportModuleError"
    assert "functions.jobs.no_such_job" in missing.error["errorMessage"]
    assert unserialisable.error is not None and unserialisable.error["errorType"] == "Runtime.MarshalError"


def test_given_the_invoke_endpoint_when_boto3_calls_it_then_lambdas_api_answers(
    clock: ManualClock, stop_after: list[LambdaService]
) -> None:
    received: list[Any] = []

    def handler(event: Any, context: Any) -> dict[str, Any]:
        received.append(event)
        if event.get("fail"):
            raise ValueError("bad input")
        return {"echo": event}

    service = _service(clock, {"sequences": handler})
    stop_after.append(service)
    service.start()
    endpoint = LambdaEndpoint(0, service)
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    client = boto3.client("lambda", endpoint_url=endpoint.url, config=Config(retries={"max_attempts": 1}))
    try:
        answered = client.invoke(FunctionName=SEQUENCES, Payload=b'{"n": 1}')
        failed = client.invoke(FunctionName=SEQUENCES, Payload=b'{"fail": true}')
        queued = client.invoke(
            FunctionName=service.function_arn(SEQUENCES), InvocationType="Event", Payload=b'{"n": 2}'
        )
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.invoke(FunctionName="devsphere-automation-nothing", Payload=b"{}")
        assert service.wait_idle(timeout=20)
    finally:
        endpoint.shutdown()
        endpoint.server_close()

    assert (answered["StatusCode"], answered["Payload"].read()) == (200, b'{"echo": {"n": 1}}')
    assert failed["FunctionError"] == "Unhandled"
    assert b'"errorType": "ValueError"' in failed["Payload"].read()
    assert queued["StatusCode"] == 202
    assert {"n": 2} in received
