"""The runner against moto: one run per tick, one at a time, every outcome recorded, the lock always freed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from functions.catalog import get_job
from functions.data.run_types import RunQuery
from functions.data.vocabulary import RunStatus
from functions.lifecycle.events import continuation_payload, scheduled_payload
from functions.lifecycle.runner import JobRunner

TICK = "2026-11-28T09:00:00Z"


def _tick(time: str = TICK, execution: str = "exec-1") -> dict[str, str]:
    return scheduled_payload("sequences", time, execution)


def _all_runs(run_log):
    return run_log.query_runs(RunQuery(jobs=["sequences"], limit=100)).runs


def test_given_a_tick_delivered_three_times_when_handled_then_one_run_exists(run_log, clock, lambda_context):
    processed = []

    def work(run, cursor):
        processed.append(run.run_id)

    runner = JobRunner(get_job("sequences"), work, run_log=run_log, clock=clock)

    outcomes = [runner.handle(_tick(execution=f"exec-{n}"), lambda_context()) for n in range(3)]

    assert [o["outcome"] for o in outcomes] == ["SUCCEEDED", "duplicate", "duplicate"]
    assert {o["run_id"] for o in outcomes} == {outcomes[0]["run_id"]}
    assert len(processed) == 1
    assert [run.run_id for run in _all_runs(run_log)] == [outcomes[0]["run_id"]]


def test_given_a_tick_spelled_with_an_offset_when_redelivered_then_it_is_the_same_tick(
    run_log, clock, lambda_context
):
    runner = JobRunner(get_job("sequences"), lambda run, cursor: None, run_log=run_log, clock=clock)

    first = runner.handle(_tick("2026-11-28T09:00:00Z"), lambda_context())
    second = runner.handle(_tick("2026-11-28T09:00:00+00:00"), lambda_context())

    assert second == {"outcome": "duplicate", "run_id": first["run_id"]}


def test_given_a_run_in_flight_when_the_next_tick_arrives_then_it_is_skipped_naming_the_blocker(
    run_log, clock, lambda_context
):
    seen = {}

    def work(run, cursor):
        # While this run holds the lock, the next schedule tick is delivered.
        seen["blocked"] = outer.handle(_tick("2026-11-28T09:15:00Z"), lambda_context())
        seen["running"] = run.run_id

    outer = JobRunner(get_job("sequences"), work, run_log=run_log, clock=clock)

    outer.handle(_tick(), lambda_context())

    assert seen["blocked"]["outcome"] == "SKIPPED"
    assert seen["blocked"]["blocked_by"] == seen["running"]
    skipped = run_log.get_run(seen["blocked"]["run_id"])
    assert skipped.status == RunStatus.SKIPPED
    assert skipped.blocked_by == seen["running"]
    assert skipped.finished_at is not None
    # The skipped tick is still a handled tick: its redelivery starts nothing.
    assert outer.handle(_tick("2026-11-28T09:15:00Z"), lambda_context())["outcome"] == "duplicate"


def test_given_items_that_partly_fail_when_run_then_partial_with_counts_and_item_errors(
    run_log, clock, lambda_context
):
    def work(run, cursor):
        for key in ["enrollment-1", "enrollment-2", "enrollment-3"]:
            with run.item(key) as item:
                if key == "enrollment-2":
                    raise ValueError("address rejected: bad@@example")
                item.count("emails_sent")

    runner = JobRunner(get_job("sequences"), work, run_log=run_log, clock=clock)

    result = runner.handle(_tick(), lambda_context())

    run = run_log.get_run(result["run_id"])
    assert run.status == RunStatus.PARTIAL
    assert run.count_values() == {
        "processed": 3,
        "succeeded": 2,
        "failed": 1,
        "skipped": 0,
        "emails_sent": 2,
    }
    assert run.item_error_values() == [
        {"key": "enrollment-2", "reason": "ValueError: address rejected: bad@@example"}
    ]
    state = run_log.get_state("sequences")
    assert state.lock_run_id is None
    assert state.last_run_status == RunStatus.PARTIAL


def test_given_a_job_that_raises_when_run_then_failed_with_type_message_and_where(
    run_log, clock, lambda_context
):
    def work(run, cursor):
        raise ConnectionError("platform database unreachable")

    runner = JobRunner(get_job("sequences"), work, run_log=run_log, clock=clock)

    result = runner.handle(_tick(), lambda_context())

    run = run_log.get_run(result["run_id"])
    assert run.status == RunStatus.FAILED
    assert run.error.type == "ConnectionError"
    assert run.error.message == "platform database unreachable"
    assert "test_runner.py" in run.error.where
    assert "ConnectionError" in run.error.stack
    state = run_log.get_state("sequences")
    assert state.lock_run_id is None
    assert state.consecutive_failures == 1
    assert state.last_failure_run_id == run.run_id


def test_given_every_item_failing_when_run_then_failed_not_partial(run_log, clock, lambda_context):
    def work(run, cursor):
        with run.item("only") as item:
            item.fail("mailbox full")

    result = JobRunner(get_job("sequences"), work, run_log=run_log, clock=clock).handle(
        _tick(), lambda_context()
    )

    run = run_log.get_run(result["run_id"])
    assert run.status == RunStatus.FAILED
    assert run.error.type == "AllItemsFailed"
    assert run.error.message == "1 item failed: 1 for mailbox full"
    assert run.error.where == "the run's failed items (1 item: only)"


def test_given_a_run_ends_when_it_finishes_then_the_log_location_names_the_run(
    run_log, clock, lambda_context
):
    context = lambda_context()
    result = JobRunner(get_job("sequences"), lambda run, cursor: None, run_log=run_log, clock=clock).handle(
        _tick(), context
    )

    run = run_log.get_run(result["run_id"])
    assert run.logs.log_group == "/aws/lambda/devsphere-automation-sequences"
    assert run.logs.request_id == context.aws_request_id
    assert run.run_id in run.logs.link
    assert run.expires_at - run.queued_at == timedelta(days=90)


class RecordingInvoker:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def invoke_async(self, function: str, payload: dict) -> None:
        self.calls.append((function, payload))


def test_given_more_work_than_fits_before_the_deadline_when_run_then_it_continues_under_one_run_id(
    run_log, clock, lambda_context
):
    pages = [[f"contact-{page}-{n}" for n in range(5)] for page in range(12)]

    def work(run, cursor):
        index = int(cursor or 0)
        for key in pages[index]:
            with run.item(key) as item:
                item.count("emails_sent")
        clock.advance(timedelta(seconds=40))  # each page takes 40 s of the 300 s budget
        return str(index + 1) if index + 1 < len(pages) else None

    invoker = RecordingInvoker()
    runner = JobRunner(
        get_job("sequences"),
        work,
        run_log=run_log,
        clock=clock,
        invoker=invoker,
        margin=timedelta(seconds=30),
    )

    first = runner.handle(_tick(), lambda_context(timeout_seconds=300))

    assert first["outcome"] == "continued"
    [(function, payload)] = invoker.calls
    assert function.endswith(":function:devsphere-automation-sequences")
    assert payload == continuation_payload("sequences", first["run_id"], 2)
    paused_run = run_log.get_run(first["run_id"])
    assert paused_run.status == RunStatus.RUNNING
    assert paused_run.count_values()["succeeded"] == first["counts"]["succeeded"]
    assert paused_run.cursor is not None

    second = runner.handle(payload, lambda_context(timeout_seconds=300))

    assert second["outcome"] == "SUCCEEDED"
    assert second["run_id"] == first["run_id"]
    run = run_log.get_run(first["run_id"])
    assert run.count_values()["succeeded"] == 60
    assert run.count_values()["emails_sent"] == 60
    assert run.segment == 2
    assert len(_all_runs(run_log)) == 1
    # A duplicate delivery of the continuation does nothing.
    assert runner.handle(payload, lambda_context())["outcome"] == "duplicate"
    assert run_log.get_state("sequences").lock_run_id is None


@pytest.mark.parametrize("event", [None, {}, {"job": "sequences", "trigger": "BOGUS"}, {"job": "sequences"}])
def test_given_a_malformed_event_when_handled_then_it_is_rejected_without_a_run(
    run_log, clock, lambda_context, event
):
    runner = JobRunner(get_job("sequences"), lambda run, cursor: None, run_log=run_log, clock=clock)

    assert runner.handle(event, lambda_context())["outcome"] == "rejected"
    assert _all_runs(run_log) == []


def test_given_an_event_for_another_job_when_handled_then_it_is_rejected(run_log, clock, lambda_context):
    runner = JobRunner(get_job("sequences"), lambda run, cursor: None, run_log=run_log, clock=clock)

    result = runner.handle(scheduled_payload("follow-ups", TICK, "e"), lambda_context())

    assert result["outcome"] == "rejected"
    assert _all_runs(run_log) == []
