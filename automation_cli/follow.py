"""Following a run to its outcome, with a live line on a terminal and one line per change elsewhere."""

from __future__ import annotations

import time
import uuid
from typing import Any

from rich.console import Console

from automation_cli.api import Api
from automation_cli.exits import CliError, ExitCode
from automation_cli.render import STATUS_STYLE, styled

OUTCOME_EXIT = {
    "SUCCEEDED": ExitCode.OK,
    "PARTIAL": ExitCode.PARTIAL,
    "FAILED": ExitCode.FAILED,
    "TIMED_OUT": ExitCode.TIMED_OUT,
    "SKIPPED": ExitCode.REFUSED,
}


def _progress(run: dict[str, Any], started: float) -> str:
    counts = run.get("counts") or {}
    done = ", ".join(
        f"{name} {counts[name]}" for name in ("processed", "succeeded", "failed") if name in counts
    )
    return (
        f"run {run['run_id']} of {run['job']}: {styled(run['status'], STATUS_STYLE)}"
        + (f" · {done}" if done else "")
        + f" · {int(time.monotonic() - started)} s"
    )


def follow(
    api: Api, run: dict[str, Any], timeout: float, interval: float, console: Console
) -> dict[str, Any]:
    """Polls the run until its status is final; `run` is what the API last said about it."""
    started = time.monotonic()
    deadline = started + timeout
    seen = None
    status = console.status(_progress(run, started)) if console.is_terminal else None
    if status is not None:
        status.start()
    try:
        while run["status"] not in OUTCOME_EXIT:
            if run["status"] != seen and status is None:
                console.print(_progress(run, started), highlight=False)
            seen = run["status"]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CliError(
                    f"run {run['run_id']} is still {run['status']} after {timeout:g} s; it goes on",
                    ExitCode.WAIT_TIMEOUT,
                    hint=f"check it later with `automation run-detail {run['run_id']}`",
                )
            time.sleep(min(interval, remaining))
            run = api.get(f"/runs/{run['run_id']}")
            if status is not None:
                status.update(_progress(run, started))
    finally:
        if status is not None:
            status.stop()
    return run


def start_run(api: Api, job: str, reason: str) -> dict[str, Any]:
    # A fresh key per command: a retried request of this command cannot start a second run.
    answer = api.post(f"/jobs/{job}/runs", {"reason": reason}, {"Idempotency-Key": uuid.uuid4().hex})
    run: dict[str, Any] = answer.body["run"]
    return run
