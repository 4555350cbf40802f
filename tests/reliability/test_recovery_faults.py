"""Releasing parked items under DynamoDB faults: each release lands once or is reported as not done, and a
fault on one item never costs another item its release.

Every scenario parks the steps of a few enrollments (the SES sender is unverified for four runs: a
configuration problem), fixes it, releases the parking run's items with faults injected in botocore, and
lets the next run send. The figures line checks that every step owed was sent once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3

from functions.data.models import RunModel
from functions.data.platform import EnrollmentModel
from functions.data.platform_store import get_one
from functions.data.run_types import Caller
from functions.data.vocabulary import RunStatus
from functions.lifecycle.recovery import release_parked, retry_failed
from functions.settings import get_settings

ADMIN = Caller(sub="admin-sub", username="dana", groups=("admin",))
STEPS = 3


def _updates(pk: str) -> Any:
    """Matches the UpdateItem of one platform record (not its send claim's)."""

    def matches(params: dict[str, Any]) -> bool:
        return (params.get("Key") or {}).get("pk", {}).get("S") == pk

    return matches


def _parked(world) -> tuple[RunModel, dict[str, int]]:
    """The run that parked every step, and each enrollment's version once parked."""
    sender = get_settings().sender_email
    boto3.client("ses").delete_identity(Identity=sender)
    world.seed_steps(STEPS)
    for _ in range(4):
        run = world.run_log.get_run(world.tick().result["run_id"])
        world.clock.advance(timedelta(minutes=15))
    assert run.count_values()["items_parked"] == STEPS
    boto3.client("ses").verify_email_identity(EmailAddress=sender)
    return run, {f"e-{n}": _enrollment(f"e-{n}").version for n in range(STEPS)}


def _enrollment(enrollment_id: str) -> EnrollmentModel:
    record = get_one(EnrollmentModel, enrollment_id)
    assert record is not None
    return record


def _release(world, run: RunModel):
    return release_parked(
        run.run_id, None, ADMIN, "sender verified", run_log=world.run_log, clock=world.clock
    )


def test_given_the_release_write_is_throttled_when_releasing_then_it_is_retried_and_applied_once(
    world, report
):
    run, versions = _parked(world)
    world.faults.throttle_dynamodb("UpdateItem", times=8, when=_updates("enrollment#e-0"))

    result = _release(world, run)
    world.faults.rules.clear()

    assert sorted(outcome.key for outcome in result.released) == [
        f"enrollment:e-{n}:step:0" for n in range(3)
    ]
    # Applied once: one version step per record, whatever the retries.
    assert {key: _enrollment(key).version for key in versions} == {k: v + 1 for k, v in versions.items()}
    assert world.run_log.get_run(world.tick().result["run_id"]).status == RunStatus.SUCCEEDED
    tally = report()
    assert tally.emails_sent == STEPS and tally.faults >= 8


def test_given_the_release_answer_is_lost_when_releasing_then_the_landed_write_is_recognised_not_redone(
    world, report
):
    # Given DynamoDB applies the release of e-1 but its answer is lost (a read timeout): botocore sends it
    # again, and the repeat is refused by the version the first one already moved
    run, versions = _parked(world)
    world.faults.lose_answer("dynamodb", "UpdateItem", times=1, when=_updates("enrollment#e-1"))

    result = _release(world, run)
    world.faults.rules.clear()

    # Then it is reported released (not "changed since"), and the write was applied exactly once
    assert [o.key for o in result.not_released] == []
    assert "enrollment:e-1:step:0" in [o.key for o in result.released]
    assert _enrollment("e-1").version == versions["e-1"] + 1
    assert _enrollment("e-1").status == "active" and _enrollment("e-1").failures == 0
    assert world.run_log.get_run(world.tick().result["run_id"]).status == RunStatus.SUCCEEDED
    tally = report()
    assert tally.emails_sent == STEPS and tally.faults >= 1


def test_given_one_items_release_keeps_failing_when_releasing_then_the_others_are_released_and_it_is_reported(
    world, report
):
    # Given every write to e-1 is throttled for longer than any retry budget
    run, versions = _parked(world)
    world.faults.throttle_dynamodb("UpdateItem", times=500, when=_updates("enrollment#e-1"))

    result = _release(world, run)
    world.faults.rules.clear()

    # Then e-0 and e-2 are released, and e-1 is reported as not released, never as done
    assert sorted(o.key for o in result.released) == ["enrollment:e-0:step:0", "enrollment:e-2:step:0"]
    assert [(o.key, o.detail) for o in result.not_released] == [
        ("enrollment:e-1:step:0", "storage did not answer; release it again to be sure")
    ]
    assert _enrollment("e-1").version == versions["e-1"] and _enrollment("e-1").status == "failed"
    world.tick()
    assert len(world.platform.sent()) == 2

    # And releasing again once DynamoDB answers brings e-1 back too
    world.clock.advance(timedelta(minutes=15))
    again = _release(world, run)
    assert [o.key for o in again.released] == ["enrollment:e-1:step:0"]
    assert world.run_log.get_run(world.tick().result["run_id"]).status == RunStatus.SUCCEEDED
    tally = report()
    assert tally.emails_sent == STEPS and tally.faults >= 10


def test_given_the_link_to_the_retry_loses_its_answer_when_retrying_then_it_is_noted_once(world, report):
    # Given the retried run's "retried by" write lands but its answer is lost
    run, _ = _parked(world)
    world.faults.lose_answer(
        "dynamodb",
        "UpdateItem",
        times=1,
        when=lambda p: (p.get("Key") or {}).get("run_id") == {"S": run.run_id},
    )

    retry = retry_failed(
        run.run_id, ADMIN, "sender verified", run_log=world.run_log, invoker=world.invoker, clock=world.clock
    )
    world.faults.rules.clear()

    # Then the link is there once, and the retry run sends every parked step
    assert list(world.run_log.get_run(run.run_id).retried_by) == [retry.run.run_id]
    (_, payload), *_ = world.invoker.calls
    assert world.run_log.get_run(world.invoke(payload).result["run_id"]).status == RunStatus.SUCCEEDED
    tally = report()
    assert tally.emails_sent == STEPS and tally.faults == 1
