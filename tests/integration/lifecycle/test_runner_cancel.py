"""Cooperative cancel against moto: a run stops at its next checkpoint, keeps what it did, ends CANCELLED."""

from __future__ import annotations

from datetime import timedelta

import pytest

from functions.catalog import get_job
from functions.data.run_fencing import NotCancellableError
from functions.data.run_types import Caller
from functions.data.vocabulary import RunStatus
from functions.lifecycle.events import manual_payload, scheduled_payload
from functions.lifecycle.runner import CHECKPOINT_ITEMS, JobRunner

ADMIN = Caller(sub="sub-alice", username="alice", groups=("admin",))
TICK = "2026-11-28T09:00:00Z"


class RecordingInvoker:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def invoke_async(self, function: str, payload: dict) -> None:
        self.calls.append((function, payload))


def _runner(run_log, clock, work, **options) -> JobRunner:
    return JobRunner(get_job("sequences"), work, run_log=run_log, clock=clock, **options)


def _items(run, keys, processed, after=None):
    for number, key in enumerate(keys, start=1):
        with run.item(key) as item:
            processed.append(key)
            item.count("emails_sent")
        if after is not None:
            after(number)


def test_given_a_cancel_mid_page_when_the_next_checkpoint_comes_then_the_run_stops_there_with_its_counts(
    run_log, clock, lambda_context
):
    processed: list[str] = []
    keys = [f"contact-{n}" for n in range(100)]

    def work(run, cursor):
        def cancel_after_ten(number):
            if number == 10:
                run_log.request_cancel(run.run_id, ADMIN, "wrong template", clock.now())

        _items(run, keys, processed, cancel_after_ten)

    result = _runner(run_log, clock, work).handle(
        scheduled_payload("sequences", TICK, "e-1"), lambda_context()
    )

    assert result["outcome"] == "CANCELLED"
    # The first checkpoint after the mark (item 25) stops the run: nothing after it is touched.
    assert processed == keys[:CHECKPOINT_ITEMS]
    run = run_log.get_run(result["run_id"])
    assert run.status == RunStatus.CANCELLED
    assert run.count_values()["processed"] == CHECKPOINT_ITEMS
    assert run.count_values()["emails_sent"] == CHECKPOINT_ITEMS
    assert run.error.message == "cancelled by alice: wrong template"
    assert run.finished_at is not None
    assert run_log.get_state("sequences").lock_run_id is None


def test_given_a_cancel_during_a_page_when_the_page_ends_then_the_next_page_is_not_read(
    run_log, clock, lambda_context
):
    pages_read: list[str | None] = []
    processed: list[str] = []

    def work(run, cursor):
        pages_read.append(cursor)
        _items(run, [f"{cursor}-{n}" for n in range(3)], processed)
        if cursor is None:
            run_log.request_cancel(run.run_id, ADMIN, "stop after this page", clock.now())
        return str(int(cursor or 0) + 1)

    result = _runner(run_log, clock, work).handle(
        scheduled_payload("sequences", TICK, "e-1"), lambda_context()
    )

    assert result["outcome"] == "CANCELLED"
    assert pages_read == [None]
    assert run_log.get_run(result["run_id"]).count_values()["processed"] == 3


def test_given_a_queued_run_cancelled_when_its_function_picks_it_up_then_it_ends_cancelled_without_working(
    run_log, clock, lambda_context
):
    called = []
    now = clock.now()
    run_log.create_queued(
        "sequences", "01KB5N5J00AAAAAAAAAAAAAAAA", now, now + timedelta(minutes=20), ADMIN, "go"
    )
    run_log.request_cancel("01KB5N5J00AAAAAAAAAAAAAAAA", ADMIN, "started by mistake", now)

    result = _runner(run_log, clock, lambda run, cursor: called.append(1)).handle(
        manual_payload("sequences", "01KB5N5J00AAAAAAAAAAAAAAAA"), lambda_context()
    )

    assert result["outcome"] == "CANCELLED"
    assert called == []
    run = run_log.get_run("01KB5N5J00AAAAAAAAAAAAAAAA")
    assert run.status == RunStatus.CANCELLED
    assert run.count_values()["processed"] == 0
    assert run_log.get_state("sequences").lock_run_id is None


def test_given_a_run_between_segments_when_cancelled_then_the_next_segment_ends_it_before_any_item(
    run_log, clock, lambda_context
):
    processed: list[str] = []

    def work(run, cursor):
        index = int(cursor or 0)
        _items(run, [f"page-{index}-{n}" for n in range(5)], processed)
        clock.advance(timedelta(seconds=40))
        return str(index + 1) if index < 20 else None

    invoker = RecordingInvoker()
    runner = _runner(run_log, clock, work, invoker=invoker, margin=timedelta(seconds=30))
    first = runner.handle(scheduled_payload("sequences", TICK, "e-1"), lambda_context(timeout_seconds=300))
    assert first["outcome"] == "continued"
    done = len(processed)

    run_log.request_cancel(first["run_id"], ADMIN, "enough for today", clock.now())
    second = runner.handle(invoker.calls[0][1], lambda_context(timeout_seconds=300))

    assert second["outcome"] == "CANCELLED"
    assert len(processed) == done
    run = run_log.get_run(first["run_id"])
    assert run.status == RunStatus.CANCELLED
    assert run.count_values()["processed"] == done


def test_given_a_cancel_that_lands_after_the_last_item_when_the_run_finishes_then_the_cancel_wins(
    run_log, clock, lambda_context
):
    answers = {}

    def work(run, cursor):
        _items(run, ["a", "b"], [])
        # The admin's request arrives between the last item and the outcome: it is accepted...
        answers["cancel"] = run_log.request_cancel(run.run_id, ADMIN, "too late?", clock.now())

    result = _runner(run_log, clock, work).handle(
        scheduled_payload("sequences", TICK, "e-1"), lambda_context()
    )

    # ...so the outcome yields to it: exactly one of them wins, and the run keeps all it did.
    assert answers["cancel"].status == RunStatus.RUNNING
    assert result["outcome"] == "CANCELLED"
    run = run_log.get_run(result["run_id"])
    assert run.status == RunStatus.CANCELLED
    assert run.count_values()["succeeded"] == 2


def test_given_a_run_that_finished_first_when_cancelled_then_it_is_refused_naming_its_status(
    run_log, clock, lambda_context
):
    result = _runner(run_log, clock, lambda run, cursor: None).handle(
        scheduled_payload("sequences", TICK, "e-1"), lambda_context()
    )

    with pytest.raises(NotCancellableError) as refused:
        run_log.request_cancel(result["run_id"], ADMIN, "too late", clock.now())

    assert refused.value.status == RunStatus.SUCCEEDED
    assert "SUCCEEDED" in str(refused.value)
    assert run_log.get_run(result["run_id"]).cancel is None


def test_given_a_pending_cancel_when_another_admin_cancels_then_it_is_refused_naming_the_first(
    run_log, clock
):
    now = clock.now()
    run_log.create_queued(
        "sequences", "01KB5N5J00AAAAAAAAAAAAAAAB", now, now + timedelta(minutes=20), ADMIN, "go"
    )
    run_log.request_cancel("01KB5N5J00AAAAAAAAAAAAAAAB", ADMIN, "first", now)
    other = Caller(sub="sub-bob", username="bob")

    with pytest.raises(NotCancellableError, match="requested by alice is already pending"):
        run_log.request_cancel("01KB5N5J00AAAAAAAAAAAAAAAB", other, "second", now)

    assert run_log.get_run("01KB5N5J00AAAAAAAAAAAAAAAB").cancel.reason == "first"


def test_given_a_healthy_job_when_a_run_is_cancelled_then_its_health_follows_the_last_finished_run(
    run_log, clock, lambda_context
):
    runner = _runner(run_log, clock, lambda run, cursor: None)
    succeeded = runner.handle(scheduled_payload("sequences", TICK, "e-1"), lambda_context())
    clock.advance(timedelta(hours=1))

    def work(run, cursor):
        run_log.request_cancel(run.run_id, ADMIN, "stop", clock.now())
        return "next"

    cancelled = _runner(run_log, clock, work).handle(
        scheduled_payload("sequences", "2026-11-28T10:00:00Z", "e-2"), lambda_context()
    )

    assert cancelled["outcome"] == "CANCELLED"
    state = run_log.get_state("sequences")
    assert state.last_run_id == succeeded["run_id"]
    assert state.last_run_status == RunStatus.SUCCEEDED
    assert state.consecutive_failures == 0
    assert state.lock_run_id is None
