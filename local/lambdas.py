"""Lambda emulation: the real handlers run in-process on worker threads, reached through Lambda's Invoke API.

moto runs function code only in Docker, so invocations are ours to run. boto3's Lambda client follows
AWS_ENDPOINT_URL_LAMBDA to `LambdaEndpoint`, so the API's run-now and the runner's continuations invoke
exactly as in AWS. What Lambda does around a handler is reproduced where the service depends on it:
a context whose remaining time runs out at the function's timeout, JSON in and out, and for asynchronous
invocations the on-failure destination (the failure recorder) with a record shaped like AWS's.
"""

from __future__ import annotations

import importlib
import json
import queue
import re
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from functions.catalog import CATALOG, WATCHDOG_TIMEOUT_SECONDS
from functions.clock import SYSTEM_CLOCK, Clock
from functions.settings import Settings
from local.logs import LogStore

# One attempt, then the on-failure destination, so a failure is in the run log at once. (AWS first makes the
# asynchronous retries infra configures.)
INVOKE_ATTEMPTS = 1
WORKERS = 16
# Infra deploys these functions with these sizes; here they shape the context (memory) and the deadline.
API_TIMEOUT_SECONDS = 29
SUPPORT_TIMEOUT_SECONDS = 60
SUPPORT_MEMORY_MB = 256
DOWNLOAD_TIMEOUT_SECONDS = 10
WATCH_INTERVAL_SECONDS = 0.2


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    handler: str  # "package.module.attribute", as in Lambda's handler setting
    timeout_seconds: int
    memory_mb: int
    on_failure: str | None = None  # the on-failure destination of asynchronous invocations


def service_functions(settings: Settings) -> list[FunctionSpec]:
    """Every function the service deploys: the jobs from the catalog, the monitors and the API."""
    recorder = settings.function_name("failure-recorder")
    jobs = [
        FunctionSpec(
            settings.function_name(job.name), job.handler, job.timeout_seconds, job.memory_mb, recorder
        )
        for job in CATALOG
    ]
    return [
        *jobs,
        FunctionSpec(
            settings.function_name("watchdog"),
            "functions.monitors.watchdog.handler",
            WATCHDOG_TIMEOUT_SECONDS,
            SUPPORT_MEMORY_MB,
        ),
        FunctionSpec(
            recorder,
            "functions.monitors.failure_recorder.handler",
            SUPPORT_TIMEOUT_SECONDS,
            SUPPORT_MEMORY_MB,
        ),
        FunctionSpec(settings.function_name("api"), "functions.api.app.handler", API_TIMEOUT_SECONDS, 512),
        FunctionSpec(
            settings.function_name("report-download"),
            "functions.api.report_download.handler",
            DOWNLOAD_TIMEOUT_SECONDS,
            SUPPORT_MEMORY_MB,
        ),
    ]


Handler = Callable[[Any, Any], Any]


class FunctionNotFoundError(LookupError):
    pass


@dataclass
class LambdaContext:
    """What Lambda hands a handler; remaining time follows the runtime's clock."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: datetime
    clock: Clock = field(repr=False)
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - self.clock.now()).total_seconds() * 1000))


@dataclass(frozen=True)
class InvokeResult:
    """A handler's return value, or the error payload Lambda reports (errorType, errorMessage, stackTrace)."""

    payload: Any = None
    error: dict[str, Any] | None = None

    @property
    def timed_out(self) -> bool:
        return self.error is not None and self.error.get("errorType") == "Sandbox.Timedout"


@dataclass
class _Invocation:
    spec: FunctionSpec
    event: Any
    request_id: str
    asynchronous: bool
    context: LambdaContext | None = None
    result: InvokeResult | None = None
    done: threading.Event = field(default_factory=threading.Event)


class LambdaService:
    def __init__(
        self,
        functions: Iterable[FunctionSpec],
        *,
        region: str,
        account_id: str,
        logs: LogStore,
        clock: Clock = SYSTEM_CLOCK,
        workers: int = WORKERS,
        loader: Callable[[str], Handler] | None = None,
    ) -> None:
        self._functions = {spec.name: spec for spec in functions}
        self._region = region
        self._account_id = account_id
        self._logs = logs
        self._clock = clock
        self._worker_count = workers
        self._queue: queue.SimpleQueue[_Invocation | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._running: dict[str, _Invocation] = {}
        self._loader = loader or load_handler
        self._handlers: dict[str, Handler] = {}
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Worker threads and the deadline watcher. They are daemons: a handler stuck past its timeout
        cannot be killed, and must not keep the process alive after Ctrl-C."""
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=self._work, name=f"lambda-worker-{index}", daemon=True)
            for index in range(self._worker_count)
        ]
        self._threads.append(threading.Thread(target=self._watch, name="lambda-deadlines", daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopping.set()
        for _ in range(self._worker_count):
            self._queue.put(None)
        self._threads = []

    # --- invoking ----------------------------------------------------------------------------------

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self._region}:{self._account_id}:function:{name}"

    def resolve(self, name_or_arn: str) -> FunctionSpec:
        """Accepts what Lambda's FunctionName accepts: a name, a full or partial ARN, with a qualifier."""
        parts = name_or_arn.split(":")
        if name_or_arn.startswith("arn:"):
            name = parts[6] if len(parts) > 6 else ""
        elif len(parts) > 2:
            name = parts[2]  # "123456789012:function:name"
        else:
            name = parts[0]
        spec = self._functions.get(name)
        if spec is None:
            raise FunctionNotFoundError(f"Function not found: {self.function_arn(name or name_or_arn)}")
        return spec

    def invoke_async(self, function: str, event: Any) -> str:
        """InvocationType=Event: queued, and answered at once with the request id."""
        return self._enqueue(function, event, asynchronous=True).request_id

    def invoke(self, function: str, event: Any) -> InvokeResult:
        """InvocationType=RequestResponse: waits for the handler's result, its error, or its timeout."""
        invocation = self._enqueue(function, event, asynchronous=False)
        invocation.done.wait()
        assert invocation.result is not None
        return invocation.result

    def _enqueue(self, function: str, event: Any, asynchronous: bool) -> _Invocation:
        invocation = _Invocation(
            self.resolve(function), json.loads(json.dumps(event)), str(uuid.uuid4()), asynchronous
        )
        with self._lock:
            self._pending += 1
        self._queue.put(invocation)
        return invocation

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is queued or running, including the destination invocations failures cause."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    # --- running -----------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            invocation = self._queue.get()
            if invocation is None:
                return
            self._run(invocation)

    def _run(self, invocation: _Invocation) -> None:
        spec = invocation.spec
        now = self._clock.now()
        invocation.context = LambdaContext(
            function_name=spec.name,
            memory_limit_in_mb=spec.memory_mb,
            invoked_function_arn=self.function_arn(spec.name),
            aws_request_id=invocation.request_id,
            log_group_name=f"/aws/lambda/{spec.name}",
            log_stream_name=f"{now:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}",
            deadline=now + timedelta(seconds=spec.timeout_seconds),
            clock=self._clock,
        )
        with self._lock:
            self._running[invocation.request_id] = invocation
        try:
            payload = _as_json(self._handler(spec)(invocation.event, invocation.context))
            result = InvokeResult(payload=payload)
        except Exception as error:
            result = InvokeResult(error=error_payload(error))
        self._settle(invocation, result)

    def _handler(self, spec: FunctionSpec) -> Handler:
        # Loaded on first invocation and kept, like a warm sandbox; a failed import is retried next time.
        handler = self._handlers.get(spec.name)
        if handler is None:
            handler = self._handlers[spec.name] = self._loader(spec.handler)
        return handler

    def expire_overdue(self) -> list[str]:
        """Marks every invocation past its deadline as timed out; its thread cannot be stopped, so whatever
        it returns later is ignored, as Lambda ignores a frozen sandbox."""
        now = self._clock.now()
        with self._lock:
            overdue = [
                invocation
                for invocation in self._running.values()
                if invocation.context is not None and invocation.context.deadline <= now
            ]
        for invocation in overdue:
            timeout = invocation.spec.timeout_seconds
            message = f"{_iso_millis(now)} {invocation.request_id} Task timed out after {timeout:.2f} seconds"
            self._settle(
                invocation, InvokeResult(error={"errorType": "Sandbox.Timedout", "errorMessage": message})
            )
        return [invocation.request_id for invocation in overdue]

    def _watch(self) -> None:
        while not self._stopping.wait(WATCH_INTERVAL_SECONDS):
            self.expire_overdue()

    def _settle(self, invocation: _Invocation, result: InvokeResult) -> None:
        with self._lock:
            late = invocation.result is not None
            if not late:
                invocation.result = result
                self._running.pop(invocation.request_id, None)
        if late:
            self._platform_log(
                invocation, "WARNING", "result after the timeout ignored (the invocation had ended)"
            )
            return
        invocation.done.set()
        if result.error is not None:
            self._platform_log(
                invocation, "ERROR", f"{result.error.get('errorType')}: {result.error.get('errorMessage')}"
            )
            if invocation.asynchronous and invocation.spec.on_failure:
                self.invoke_async(
                    invocation.spec.on_failure, self._destination_record(invocation, result.error)
                )
        with self._idle:
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()

    def _destination_record(self, invocation: _Invocation, error: dict[str, Any]) -> dict[str, Any]:
        """What Lambda sends an on-failure destination once an asynchronous invocation has failed for good."""
        return {
            "version": "1.0",
            "timestamp": _iso_millis(self._clock.now()),
            "requestContext": {
                "requestId": invocation.request_id,
                "functionArn": f"{self.function_arn(invocation.spec.name)}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": INVOKE_ATTEMPTS,
            },
            "requestPayload": invocation.event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": error,
        }

    def _platform_log(self, invocation: _Invocation, level: str, message: str) -> None:
        """Lambda's own lines in the log stream (a timeout, an unhandled error) belong to the run too."""
        event = invocation.event if isinstance(invocation.event, dict) else {}
        run_id = self._logs.run_of_request(invocation.request_id) or event.get("run_id")
        self._logs.add(
            {
                "level": level,
                "message": message,
                "timestamp": f"{self._clock.now():%Y-%m-%d %H:%M:%S,%f}"[:-3],
                "function_name": invocation.spec.name,
                "function_request_id": invocation.request_id,
                "job": event.get("job"),
                "run_id": run_id,
                "source": "lambda",
            }
        )


def _iso_millis(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S.%f}"[:-3] + "Z"


def load_handler(path: str) -> Handler:
    module_name, _, attribute = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise _RuntimeError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        ) from error
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise _RuntimeError(
            "Runtime.HandlerNotFound", f"Handler '{attribute}' missing on module '{module_name}'"
        )
    return handler


class _RuntimeError(Exception):
    """A failure of the runtime around the handler, reported under Lambda's own error type."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def error_payload(error: BaseException) -> dict[str, Any]:
    """The payload Lambda's Python runtime reports for an exception that escaped the handler."""
    if isinstance(error, _RuntimeError):
        return {"errorType": error.error_type, "errorMessage": str(error), "stackTrace": []}
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_list(traceback.extract_tb(error.__traceback__)),
    }


def _as_json(value: Any) -> Any:
    """Lambda only passes JSON back: what a handler returns must serialise, and the caller gets a copy."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as error:
        raise _RuntimeError("Runtime.MarshalError", f"Unable to marshal response: {error}") from error


# --- the Invoke API over HTTP ------------------------------------------------------------------------

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<function>[^/]+)/invocations$")


class LambdaEndpoint(ThreadingHTTPServer):
    """`POST /2015-03-31/functions/{name}/invocations`, what boto3's `lambda.invoke` sends."""

    daemon_threads = True

    def __init__(self, port: int, service: LambdaService) -> None:
        super().__init__(("127.0.0.1", port), _InvokeHandler)
        self.service = service

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _InvokeHandler(BaseHTTPRequestHandler):
    server: LambdaEndpoint

    def do_POST(self) -> None:
        match = _INVOKE_PATH.match(self.path.split("?", 1)[0])
        if match is None:
            self._error(HTTPStatus.NOT_FOUND, "UnknownOperationException", f"no such operation: {self.path}")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            event = json.loads(body) if body else {}
        except ValueError:
            self._error(
                HTTPStatus.BAD_REQUEST, "InvalidRequestContentException", "Could not parse request body"
            )
            return
        function = unquote(match["function"])
        invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        try:
            if invocation_type == "DryRun":
                self.server.service.resolve(function)
                self._reply(HTTPStatus.NO_CONTENT, b"")
            elif invocation_type == "Event":
                self.server.service.invoke_async(function, event)
                self._reply(HTTPStatus.ACCEPTED, b"")
            else:
                result = self.server.service.invoke(function, event)
                extra = {"X-Amz-Function-Error": "Unhandled"} if result.error else {}
                body_out = json.dumps(result.error if result.error else result.payload).encode()
                self._reply(HTTPStatus.OK, body_out, extra)
        except FunctionNotFoundError as error:
            self._error(HTTPStatus.NOT_FOUND, "ResourceNotFoundException", str(error))

    def _error(self, status: HTTPStatus, code: str, message: str) -> None:
        body = json.dumps({"Type": "User", "message": message}).encode()
        self._reply(status, body, {"x-amzn-ErrorType": code})

    def _reply(self, status: HTTPStatus, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Amz-Executed-Version", "$LATEST")
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """The invoked handlers log for themselves; an access line per invocation is noise."""
