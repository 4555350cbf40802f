"""Run-log writes under DynamoDB faults: a throttle or a conflict is never read as "someone else did it"."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

from functions.data.errors import TransientStorageError
from functions.data.vocabulary import RunStatus
from functions.lifecycle.events import manual_payload
from tests.reliability.faults import LambdaKilled


def _outcome_write(params: dict) -> bool:
    """The transaction that records a run's outcome (it sets finished_at)."""
    return "finished_at" in str(params.get("TransactItems", ""))


def _start_write(params: dict) -> bool:
    return "TICK#" in str(params.get("TransactItems", ""))


def test_given_the_outcome_write_is_throttled_for_a_while_when_the_run_ends_then_it_is_recorded_once(
    world, report
):
    # Given 5 due emails and an outcome write throttled 6 times (botocore retries 3, the run log the rest)
    world.seed_steps(5)
    world.faults.throttle_dynamodb("TransactWriteItems", times=6, when=_outcome_write)

    # When the tick runs
    invocation = world.tick()

    # Then the outcome is recorded with its counts and the lock is free: no false "abandoned", no false alert
    assert invocation.raised is None and invocation.result["outcome"] == "SUCCEEDED"
    run = world.run_log.get_run(invocation.result["run_id"])
    assert run.status == RunStatus.SUCCEEDED and run.count_values()["emails_sent"] == 5
    assert world.run_log.get_state("sequences").lock_run_id is None
    tally = report()
    assert tally.faults == 6 and tally.emails_sent == 5


def test_given_the_outcome_write_stays_throttled_when_the_run_ends_then_it_fails_loudly_and_is_closed(
    world, report
):
    # Given an outcome write that outlasts every retry
    world.seed_steps(30)
    world.faults.throttle_dynamodb("TransactWriteItems", times=200, when=_outcome_write)

    # When the tick runs, the invocation fails (Lambda sees the error) instead of returning "abandoned"
    invocation = world.tick()
    assert isinstance(invocation.raised, TransientStorageError)
    world.faults.rules.clear()

    # Then the failure recorder closes exactly this run with the counts its checkpoints saved
    decision = world.record_failure(invocation)
    assert decision.action == "marked"
    run = decision.run
    assert run.status == RunStatus.FAILED and run.error.type == "TransientStorageError"
    assert run.count_values()["emails_sent"] >= 25  # checkpointed every 25 items: at most 5 not yet counted
    assert world.run_log.get_state("sequences").lock_run_id is None

    # And the next tick sends nothing again: every email went out exactly once
    world.clock.advance(timedelta(minutes=15))
    assert world.tick().result["outcome"] == "SUCCEEDED"
    tally = report()
    assert tally.emails_sent == 30


def test_given_a_transaction_conflict_when_a_tick_starts_then_it_is_retried_and_runs_once(world, report):
    world.seed_steps(3)
    world.faults.transaction_conflict(times=3, items=3, when=_start_write)

    invocation = world.tick()
    duplicate = world.invoke(invocation.payload)

    assert invocation.result["outcome"] == "SUCCEEDED"
    assert duplicate.result == {"outcome": "duplicate", "run_id": invocation.result["run_id"]}
    tally = report()
    assert tally.runs == 1 and tally.emails_sent == 3 and tally.faults == 3


def test_given_a_start_that_stays_throttled_when_the_tick_arrives_then_it_is_redriven_and_runs_once(
    world, report
):
    # Given a tick whose start cannot be written for a while
    world.seed_steps(4)
    world.faults.throttle_dynamodb("TransactWriteItems", times=200, when=_start_write)
    first = world.tick()
    assert isinstance(first.raised, TransientStorageError)
    assert world.runs() == []
    world.faults.rules.clear()

    # When Lambda reports the failure, the recorder invokes the tick again instead of failing it
    decision = world.record_failure(first)
    assert decision.action == "redriven"
    [redriven] = world.deliver_redrives()

    # Then the tick ran, once, and the day's emails went out
    assert redriven.result["outcome"] == "SUCCEEDED"
    assert world.run_log.get_run(redriven.result["run_id"]).scheduled_for is not None
    tally = report()
    assert tally.runs == 1 and tally.emails_sent == 4


def test_given_a_lost_answer_on_the_outcome_write_when_retried_then_it_is_recognised_as_this_runs_own(
    world, report
):
    # DynamoDB applied the outcome but the answer never arrived: the retry finds the run already closed
    world.seed_steps(2)
    world.faults.lose_answer("dynamodb", "TransactWriteItems", when=_outcome_write)

    invocation = world.tick()

    assert invocation.raised is None and invocation.result["outcome"] == "SUCCEEDED"
    report()


def test_given_a_takeover_of_a_manual_run_that_stays_throttled_then_it_is_redriven_not_left_queued(
    world, report
):
    from functions.data.run_types import Caller
    from functions.ids import new_run_id

    world.seed_steps(2)
    now = world.clock.now()
    run_id = new_run_id(now)
    world.run_log.create_queued(
        "sequences", run_id, now, now + timedelta(minutes=20), Caller(sub="u-1", username="ana"), "after fix"
    )
    world.faults.throttle_dynamodb("TransactWriteItems", times=200)

    first = world.invoke(manual_payload("sequences", run_id))
    assert isinstance(first.raised, TransientStorageError)
    world.faults.rules.clear()
    assert world.record_failure(first).action == "redriven"
    [second] = world.deliver_redrives()

    assert second.result == {"outcome": "SUCCEEDED", "run_id": run_id, "counts": second.result["counts"]}
    run = world.run_log.get_run(run_id)
    assert run.caller.username == "ana" and run.reason == "after fix"
    report()


def test_given_a_run_killed_mid_page_when_recorded_then_its_counts_show_what_it_did(world, report):
    # Given 60 due emails and Lambda killing the run right after SES accepted the 40th (before any page ended)
    world.seed_steps(60)
    sends: list[str] = []

    def fortieth(params: dict) -> bool:
        sends.append(params["raw"])
        return len(sends) == 40

    world.faults.kill("ses", "SendEmail", after=True, when=fortieth)
    invocation = world.tick()
    assert isinstance(invocation.raised, LambdaKilled)
    killed = unquote(sends[-1].split("Destination.ToAddresses.member.1=")[1].split("&")[0])

    # When the failure recorder hears of the timeout
    decision = world.record_failure(invocation)

    # Then the run shows what it did, up to its last checkpoint (every 25 items)
    run = decision.run
    assert run.status == RunStatus.TIMED_OUT
    assert run.count_values()["emails_sent"] >= 25 and run.count_values()["processed"] >= 25
    # And the email whose outcome is unknown is not resent: later runs list it unconfirmed, by its item
    world.clock.advance(timedelta(minutes=15))
    world.tick()
    world.clock.advance(timedelta(minutes=15))
    later = world.run_log.get_run(world.tick().result["run_id"])
    [entry] = later.unconfirmed_values()
    assert entry["item"] == f"enrollment:e-{killed.removeprefix('contact').split('@')[0]}:step:0"
    tally = report()
    assert tally.emails_sent == 60 and len(world.platform.sent_to(killed)) == 1
