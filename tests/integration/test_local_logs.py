"""Log capture: each run's Powertools lines are kept under its run id, even with runs on parallel threads."""

from __future__ import annotations

import io
import threading
import uuid

from aws_lambda_powertools import Logger

from local.logs import LogStore, capture, console_line


def _logger() -> Logger:
    # A service of its own, so the shared service logger of the functions is left as it is.
    return Logger(service=f"local-logs-test-{uuid.uuid4().hex[:8]}", level="INFO")


def test_given_two_runs_logging_on_parallel_threads_then_each_line_keeps_its_own_run_id() -> None:
    logger = _logger()
    store = LogStore()
    capture(logger, store)
    both_bound = threading.Barrier(2)

    def run(run_id: str) -> None:
        logger.structure_logs(function_request_id=f"request-{run_id}")  # what inject_lambda_context does
        logger.append_keys(run_id=run_id, job="sequences")
        both_bound.wait(timeout=10)
        logger.info("run started")
        both_bound.wait(timeout=10)
        logger.info("run finished")

    threads = [threading.Thread(target=run, args=(run_id,)) for run_id in ("RUN-A", "RUN-B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    for run_id in ("RUN-A", "RUN-B"):
        lines = store.lines(run_id)
        assert [line["message"] for line in lines] == ["run started", "run finished"]
        assert {line["run_id"] for line in lines} == {run_id}
        assert store.run_of_request(f"request-{run_id}") == run_id


def test_given_a_handler_clearing_its_state_then_another_threads_keys_survive() -> None:
    logger = _logger()
    store = LogStore()
    capture(logger, store)
    logger.append_keys(run_id="RUN-MAIN")
    cleared = threading.Thread(target=lambda: logger.structure_logs(cold_start=False))
    cleared.start()
    cleared.join(timeout=10)

    logger.info("still mine")

    assert [line["message"] for line in store.lines("RUN-MAIN")] == ["still mine"]


def test_given_a_structured_line_when_echoed_then_the_console_shows_time_level_job_run_and_message() -> None:
    echo = io.StringIO()
    store = LogStore(echo=echo)

    store.add(
        {
            "timestamp": "2026-11-28 09:15:02,123+0000",
            "level": "ERROR",
            "job": "sequences",
            "run_id": "01JDX0000000000000000000AB",
            "message": "item failed",
            "exception_name": "MessageRejected",
        }
    )

    assert echo.getvalue().split() == [
        "09:15:02",
        "ERROR",
        "sequences",
        "01JDX0000000000000000000AB",
        "item",
        "failed",
        "[MessageRejected]",
    ]
    assert console_line({"message": "no context"}).split()[-3:] == ["-", "no", "context"]


def test_given_a_reason_with_a_line_break_when_echoed_then_it_stays_on_one_console_line() -> None:
    echo = io.StringIO()
    store = LogStore(echo=echo)
    forged = "ok\n09:15:03 ERROR   sequences          01JDX0000000000000000000ZZ payment failed\x1b[2J"

    store.add({"level": "INFO", "job": "sequences", "message": "job paused", "reason": forged})

    printed = echo.getvalue()
    assert printed.count("\n") == 1 and printed.endswith("\n")
    assert "reason=ok\\n09:15:03 ERROR" in printed
    assert "\x1b" not in printed and "\\x1b[2J" in printed
