"""Cancelling a run under DynamoDB faults: a lost answer is recognised, a throttled checkpoint loses none."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from functions.catalog import get_job
from functions.data.run_types import Caller
from functions.data.vocabulary import RunStatus
from functions.lifecycle.events import manual_payload
from functions.lifecycle.manual import cancel_run, run_now
from functions.lifecycle.runner import CHECKPOINT_ITEMS

ADMIN = Caller(sub="sub-alice", username="alice", groups=("admin",))


def _cancel_mark(params: dict[str, Any]) -> bool:
    """The run update that sets the cancel mark."""
    return "cancel" in str(params.get("ExpressionAttributeNames", "")) and "TransactItems" not in params


def _checkpoint(params: dict[str, Any]) -> bool:
    """A progress save: a run transaction that neither claims a tick nor records an outcome."""
    items = str(params.get("TransactItems", ""))
    return "counts" in items and "finished_at" not in items and "TICK#" not in items


def test_given_a_lost_answer_on_the_cancel_mark_when_retried_then_it_is_recognised_as_this_request(
    world, report
):
    # Given a queued manual run of 5 due emails, and the cancel mark's answer lost once
    world.seed_steps(5)
    run = run_now(
        get_job("sequences"), ADMIN, "go", run_log=world.run_log, invoker=world.invoker, clock=world.clock
    ).run
    world.faults.lose_answer("dynamodb", "UpdateItem", when=_cancel_mark)

    # When the admin cancels it
    requested = cancel_run(run.run_id, ADMIN, "started by mistake", run_log=world.run_log, clock=world.clock)

    # Then the retry finds its own mark (not "someone else's cancel") and it is audited once
    assert requested.run.cancel.reason == "started by mistake"
    assert requested.audit_warning is None
    cancels = [e for e in world.run_log.list_activity("sequences", 10).entries if e.action == "CANCEL"]
    assert len(cancels) == 1
    # And when its function picks it up, it ends CANCELLED before sending anything
    invocation = world.invoke(manual_payload("sequences", run.run_id))
    assert invocation.result["outcome"] == RunStatus.CANCELLED
    assert world.platform.sent() == []
    # And the next tick sends each email once
    world.clock.advance(timedelta(minutes=15))
    assert world.tick().result["outcome"] == RunStatus.SUCCEEDED
    tally = report()
    assert tally.faults == 1 and tally.emails_sent == 5


def test_given_a_throttled_checkpoint_while_a_cancel_is_pending_then_nothing_is_lost_or_sent_twice(
    world, report
):
    # Given 60 due emails; after the 10th email an admin cancels the run, and the first checkpoint (item 25)
    # is throttled, so the run cannot see the mark there
    world.seed_steps(60)
    sends = {"count": 0}

    def cancel_after_ten_emails(params: dict[str, Any]) -> bool:
        sends["count"] += 1
        if sends["count"] == 10:
            running = world.run_log.get_state("sequences").lock_run_id
            cancel_run(running, ADMIN, "wrong template", run_log=world.run_log, clock=world.clock)
        return False  # never a fault: this rule only watches the sends go out

    world.faults.error("ses", "SendEmail", "Unused", times=1, when=cancel_after_ten_emails)
    world.faults.throttle_dynamodb("TransactWriteItems", times=24, when=_checkpoint)

    # When the tick runs
    invocation = world.tick()

    # Then the checkpoint that gets through (retried, or the next item's) finds the mark and stops the run
    # there, its record matching exactly what went out
    assert invocation.raised is None and invocation.result["outcome"] == RunStatus.CANCELLED
    run = world.run_log.get_run(invocation.result["run_id"])
    assert run.status == RunStatus.CANCELLED
    processed = run.count_values()["processed"]
    assert CHECKPOINT_ITEMS <= processed < 2 * CHECKPOINT_ITEMS
    assert run.count_values()["emails_sent"] == len(world.platform.sent()) == processed
    assert run.error.message == "cancelled by alice: wrong template"
    assert world.run_log.get_state("sequences").lock_run_id is None
    # And the next tick sends only the rest: every email exactly once
    world.clock.advance(timedelta(minutes=15))
    assert world.tick().result["outcome"] == RunStatus.SUCCEEDED
    tally = report()
    assert tally.emails_sent == 60 and tally.faults > 0
