"""Each run's log lines, kept in memory for the local log view and echoed readably to the console.

In Lambda, Powertools writes one JSON line per log call to stdout and CloudWatch keeps it. Here that
stream goes to a `LogStore` instead: the lines of a run are found by their `run_id` key, exactly what the
CloudWatch Logs Insights link filters on in AWS.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections import OrderedDict, deque
from typing import Any, TextIO

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from functions.api.edges import escape_controls

MAX_RUNS = 500
MAX_LINES_PER_RUN = 2000
MAX_REQUESTS = 2000


class PerThreadKeysFormatter(LambdaPowertoolsFormatter):
    """Keeps appended keys (run id, job, Lambda context) per thread.

    A Lambda sandbox runs one invocation at a time, so Powertools keeps those keys on the formatter. Here
    several invocations share one process on worker threads; without this, one run's lines would carry
    another run's id, and a handler's `clear_state` would wipe the keys of every other running handler.
    """

    def __init__(self, **kwargs: Any) -> None:
        self._threads = threading.local()
        super().__init__(**kwargs)

    @property
    def log_format(self) -> dict[str, Any]:
        keys: dict[str, Any] | None = getattr(self._threads, "keys", None)
        if keys is None:
            keys = {**dict.fromkeys(self.log_record_order), **self.keys_combined}
            self._threads.keys = keys
        return keys

    @log_format.setter
    def log_format(self, value: dict[str, Any]) -> None:
        self._threads.keys = value


class LogStore:
    """The last MAX_RUNS runs' lines, bounded per run, plus which run each Lambda request served."""

    def __init__(self, echo: TextIO | None = None) -> None:
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, deque[dict[str, Any]]] = OrderedDict()
        self._request_runs: OrderedDict[str, str] = OrderedDict()
        self._echo = echo

    def add(self, line: dict[str, Any]) -> None:
        run_id = line.get("run_id")
        request_id = line.get("function_request_id")
        with self._lock:
            if isinstance(run_id, str) and run_id:
                self._lines_of(run_id).append(line)
                if isinstance(request_id, str):
                    self._request_runs[request_id] = run_id
                    if len(self._request_runs) > MAX_REQUESTS:
                        self._request_runs.popitem(last=False)
            if self._echo is not None:
                print(console_line(line), file=self._echo, flush=True)

    def silence(self) -> None:
        with self._lock:
            self._echo = None

    def _lines_of(self, run_id: str) -> deque[dict[str, Any]]:
        lines = self._runs.get(run_id)
        if lines is None:
            lines = self._runs[run_id] = deque(maxlen=MAX_LINES_PER_RUN)
            if len(self._runs) > MAX_RUNS:
                self._runs.popitem(last=False)
        else:
            self._runs.move_to_end(run_id)
        return lines

    def lines(self, run_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._runs.get(run_id, ()))

    def run_of_request(self, request_id: str) -> str | None:
        with self._lock:
            return self._request_runs.get(request_id)


# Fields worth a glance on the console; the log page shows every field.
_CONSOLE_FIELDS = ("item", "reason", "status", "blocked_by", "segment", "duration_ms")


def console_line(line: dict[str, Any]) -> str:
    """time level job run_id message: one line a person can follow while jobs run."""
    timestamp = str(line.get("timestamp", ""))
    clock = timestamp[11:19] if len(timestamp) >= 19 else timestamp
    service = str(line.get("service") or "")
    function = str(line.get("function_name") or "").removeprefix(service + "-")
    who = line.get("job") or function or service or "-"
    run_id = line.get("run_id") or "-"
    text = f"{clock} {line.get('level', 'INFO'):<7} {who:<18} {run_id:<26} {line.get('message')}"
    details = [f"{name}={line[name]}" for name in _CONSOLE_FIELDS if line.get(name) is not None]
    if details:
        text += " " + " ".join(details)
    exception = str(line.get("exception") or "").strip()
    if exception:
        # The last line of a traceback is the error itself; the whole traceback is on the log page.
        text += f" [{exception.splitlines()[-1]}]"
    elif line.get("exception_name"):
        text += f" [{line['exception_name']}]"
    # Logged values carry caller input (a reason, an item key): a line break in one must not forge a line.
    return escape_controls(text)


class _StoreStream:
    """Where Powertools' stdout handler writes: each JSON line it would have printed goes to the store."""

    def __init__(self, store: LogStore, fallback: TextIO) -> None:
        self._store = store
        self._fallback = fallback

    def write(self, text: str) -> int:
        for raw in text.splitlines():
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                self._fallback.write(raw + "\n")
                continue
            if isinstance(line, dict):
                self._store.add(line)
        return len(text)

    def flush(self) -> None:
        self._fallback.flush()


def capture(logger: Logger, store: LogStore) -> None:
    """Sends the service logger's JSON lines to `store`, with keys kept per thread."""
    handler = logger.registered_handler
    if not isinstance(handler, logging.StreamHandler):
        raise TypeError(f"expected Powertools' stream handler, found {type(handler).__name__}")
    handler.setFormatter(PerThreadKeysFormatter(service=logger.service))
    handler.setStream(_StoreStream(store, sys.stderr))
