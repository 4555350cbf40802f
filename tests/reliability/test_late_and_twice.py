"""Deliveries that arrive twice or late: one run per tick, superseded writers fenced off, nothing stuck."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from functions.automations import sequences
from functions.data.errors import TransientStorageError
from functions.data.vocabulary import RunStatus
from tests.reliability.faults import LambdaKilled


def test_given_a_duplicate_delivery_that_fails_when_recorded_then_the_real_run_is_left_alone(world, report):
    # Given a run that is sending, and a duplicate delivery of its tick arriving meanwhile whose start fails
    world.seed_steps(3)
    busy: dict = {}

    def duplicate_arrives(params: dict) -> bool:
        if "duplicate" not in busy:
            throttle = world.faults.throttle_dynamodb(
                "TransactWriteItems", times=200, when=lambda p: "TICK#" in str(p)
            )
            busy["duplicate"] = world.invoke(dict(world.invocations[0].payload, execution_id="retry-2"))
            throttle.times = 0
            # Lambda reports the duplicate's failure while the first delivery is still sending
            busy["decision"] = world.record_failure(busy["duplicate"])
        return False

    world.faults.kill("ses", "SendEmail", after=False, when=duplicate_arrives)
    real = world.tick()
    duplicate = busy["duplicate"]
    assert isinstance(duplicate.raised, TransientStorageError)

    # Then the recorder saw the tick's run is not that request's and left it to finish; nothing ran twice
    assert busy["decision"].action == "not-this-run"
    assert real.result["outcome"] == "SUCCEEDED"
    assert world.run_log.get_run(real.result["run_id"]).status == RunStatus.SUCCEEDED
    tally = report()
    assert tally.runs == 1 and tally.emails_sent == 3


def test_given_a_recorder_record_for_a_duplicate_request_when_the_run_is_live_then_it_is_not_touched(
    world, report
):
    # Given a run killed mid-way (it stays RUNNING) and a failed duplicate delivery of the same tick
    world.seed_steps(2)
    world.faults.kill("ses", "SendEmail", after=False)
    real = world.tick()
    assert isinstance(real.raised, LambdaKilled)
    duplicate = world.invoke(real.payload)
    assert duplicate.result["outcome"] == "duplicate"

    # When a destination record arrives naming the duplicate's request, not the run's
    decision = world.record_failure(
        duplicate, error={"errorType": "Runtime.ExitError", "errorMessage": "exit"}
    )

    # Then the run is not marked by it; the run's own timeout record closes it
    assert decision.action == "not-this-run"
    assert world.record_failure(real).run.status == RunStatus.TIMED_OUT
    # And the next tick takes up the work (the killed send never reached SES; nobody can know: unconfirmed)
    world.clock.advance(timedelta(minutes=15))
    world.faults.rules.clear()
    assert world.tick().result["outcome"] in {"SUCCEEDED", "PARTIAL"}
    report()


def test_given_a_continuation_that_arrives_after_the_watchdog_closed_the_run_then_it_changes_nothing(
    world, report
):
    # Given a large run (pages of 10) that hands over to a continuation, which Lambda delivers very late
    world.seed_steps(30)

    def slow_send(params: dict) -> bool:
        world.clock.advance(timedelta(seconds=15))  # two pages of 10 use the whole 300 s invocation
        return False

    world.faults.kill("ses", "SendEmail", after=False, when=slow_send)
    runner = world.runner()
    runner.work = partial(sequences.work, page_size=10)
    first = runner.handle(_tick(world), world.platform.lambda_context(timeout_seconds=300))
    assert first["outcome"] == "continued", first
    [(_, payload)] = world.invoker.calls
    world.faults.rules.clear()

    # When the watchdog finds it past its lease and closes it, and the next tick takes the job
    world.watchdog(after=timedelta(minutes=20))
    assert world.run_log.get_run(first["run_id"]).status == RunStatus.TIMED_OUT
    next_tick = world.tick()

    # Then the late continuation is refused and writes nothing over either run
    late = world.invoke(payload)
    assert late.result["outcome"] == "duplicate"
    assert world.run_log.get_run(first["run_id"]).status == RunStatus.TIMED_OUT
    assert world.run_log.get_run(next_tick.result["run_id"]).status == RunStatus.SUCCEEDED
    assert world.run_log.get_state("sequences").last_run_id == next_tick.result["run_id"]
    tally = report()
    assert tally.emails_sent == 30


def _tick(world):
    from functions.clock import isoformat
    from tests.reliability.world import scheduler_event

    return scheduler_event("sequences", isoformat(world.clock.now()))


def test_given_a_stuck_run_without_the_lock_when_the_watchdog_passes_then_it_is_closed(world, report):
    # Given a run killed mid-way whose lock lapsed and was taken by the next tick
    world.seed_steps(2)
    world.faults.kill("ses", "SendEmail", after=False)
    stuck = world.tick()
    world.clock.advance(timedelta(minutes=6))
    world.faults.rules.clear()
    taken = world.tick()
    # The killed send never reached SES, but nobody can know that: it is listed unconfirmed, not resent
    assert taken.result["outcome"] == "PARTIAL"
    assert len(world.run_log.get_run(taken.result["run_id"]).unconfirmed_values()) == 1
    stuck_run_id = world.run_log.get_state("sequences").last_run_id
    assert stuck_run_id == taken.result["run_id"]

    # When the watchdog passes, it finds the stuck run by its status, not through the lock
    report_ = world.watchdog()

    in_flight = [run for run in world.runs() if RunStatus(run.status).in_flight]
    assert in_flight == []
    assert len(report_["sequences"]["marked_stuck"]) == 1
    # And the late TIMED_OUT did not overwrite the newer run's outcome on the job
    assert world.run_log.get_state("sequences").last_run_id == taken.result["run_id"]
    assert isinstance(stuck.raised, LambdaKilled)
    report()


def test_given_a_paused_job_whose_schedule_a_deploy_re_enabled_when_a_tick_arrives_then_nothing_runs(
    world, report
):
    from functions.data.run_types import Caller

    world.seed_steps(3)
    world.run_log.set_paused(
        "sequences", True, Caller(sub="u-1", username="ana"), "SES review", world.clock.now()
    )

    invocation = world.tick()

    assert invocation.result["outcome"] == "SKIPPED"
    run = world.run_log.get_run(invocation.result["run_id"])
    assert run.status == RunStatus.SKIPPED and "paused by ana: SES review" in run.skip_reason
    assert world.platform.sent() == []
    assert world.invoke(invocation.payload).result["outcome"] == "duplicate"
    world.due = []  # nothing was owed while paused
    report()


def test_given_the_watchdog_is_throttled_on_one_job_when_it_passes_then_the_others_are_still_checked(
    world, report
):
    world.faults.throttle_dynamodb("Query", times=200, when=lambda p: "sequences#" in str(p))

    try:
        world.watchdog()
        raised = None
    except Exception as error:
        raised = error

    assert type(raised).__name__ == "WatchdogIncompleteError" and "sequences" in str(raised)
    assert world.run_log.get_state("follow-ups").tracking_since is not None
    report()
