"""Run now when Lambda reports an error although the invocation got through: the run is not failed."""

from __future__ import annotations

import pytest

from functions.catalog import get_job
from functions.data.errors import StaleRunError
from functions.data.models import RunModel
from functions.data.run_types import Caller
from functions.lifecycle.invoker import InvokeError, LambdaInvoker
from functions.lifecycle.manual import RunNotStartedError, start_manual_run

CALLER = Caller(sub="s-1", username="alice", email=None, groups=("admin",))


class FakeRunLog:
    """Queues in memory; `taken_over` says whether the job's function already adopted the run."""

    def __init__(self, taken_over: bool) -> None:
        self.taken_over = taken_over
        self.runs: dict[str, RunModel] = {}
        self.finished: list[str] = []

    def create_queued(self, job, run_id, now, lease_until, caller, reason, idempotency=None):
        self.runs[run_id] = RunModel(run_id, job=job, status="QUEUED", trigger="MANUAL", queued_at=now)
        return self.runs[run_id]

    def finish(self, run_id, outcome, now, expected):
        if self.taken_over:
            raise StaleRunError(f"run {run_id} was already finished")
        self.finished.append(run_id)
        self.runs[run_id].status = outcome.status.value
        return self.runs[run_id]

    def get_run(self, run_id):
        if self.taken_over:
            self.runs[run_id].status = "RUNNING"
        return self.runs[run_id]


class TimingOutInvoker(LambdaInvoker):
    def invoke_async(self, function, payload):
        raise InvokeError("ReadTimeoutError: Read timeout on endpoint URL")


def _start(run_log, clock):
    return start_manual_run(
        get_job("sequences"), CALLER, "retry", run_log=run_log, invoker=TimingOutInvoker(), clock=clock
    )


def test_given_an_invoke_error_but_the_run_was_taken_over_when_starting_then_the_running_run_is_returned(
    clock,
):
    run_log = FakeRunLog(taken_over=True)

    run = _start(run_log, clock)

    assert run.status == "RUNNING"
    assert run_log.finished == []


def test_given_an_invoke_error_and_the_run_still_queued_when_starting_then_it_is_failed_and_reported(clock):
    run_log = FakeRunLog(taken_over=False)

    with pytest.raises(RunNotStartedError) as raised:
        _start(run_log, clock)

    assert raised.value.run.status == "FAILED"
    assert run_log.finished == [raised.value.run.run_id]
    assert raised.value.reason == "ReadTimeoutError: Read timeout on endpoint URL"
