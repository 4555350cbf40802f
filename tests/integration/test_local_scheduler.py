"""The local scheduler fires the provisioned schedules at their ticks, through the Lambda emulation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.clock import ManualClock
from functions.data.run_log import RunLog
from functions.data.schedules import Schedules
from functions.lifecycle.context import RunContext
from functions.lifecycle.runner import job_handler
from functions.settings import get_settings
from local.lambdas import FunctionSpec, LambdaService
from local.logs import LogStore
from local.provision import create_schedules
from local.scheduler import LocalScheduler

ACCOUNT = "123456789012"


def _two_items(run: RunContext, cursor: str | None) -> str | None:
    for key in ("contact-1", "contact-2"):
        with run.item(key):
            pass
    return None


class Harness:
    """Provisioned schedules, a Lambda emulation running a real job handler, and a scheduler on a clock."""

    def __init__(self, clock: ManualClock) -> None:
        self.settings = get_settings()
        self.watchdog_events: list[Any] = []
        handlers = {
            "tests.sequences": job_handler("sequences", _two_items),
            "tests.watchdog": lambda event, context: self.watchdog_events.append(event),
        }
        self.lambdas = LambdaService(
            [
                FunctionSpec(self.settings.function_name("sequences"), "tests.sequences", 300, 512),
                FunctionSpec(self.settings.function_name("watchdog"), "tests.watchdog", 120, 256),
            ],
            region=self.settings.region,
            account_id=ACCOUNT,
            logs=LogStore(),
            clock=clock,
            workers=2,
            loader=handlers.__getitem__,
        )
        self.delivered: list[tuple[str, Any]] = []
        create_schedules(self.settings, self.lambdas.function_arn, f"arn:aws:iam::{ACCOUNT}:role/scheduler")
        self.scheduler = LocalScheduler(self.settings.schedule_group, self._deliver, clock=clock)

    def _deliver(self, target: str, event: Any) -> None:
        self.delivered.append((target, event))
        # Only the functions this harness emulates; the other jobs' firings are checked by what was delivered.
        if target.endswith(("-sequences", "-watchdog")):
            self.lambdas.invoke_async(target, event)

    def fired(self) -> list[str]:
        return [target.rsplit(":", 1)[-1] for target, _ in self.delivered]


@pytest.fixture
def harness(aws: None, clock: ManualClock) -> Iterator[Harness]:
    built = Harness(clock)
    built.lambdas.start()
    yield built
    # Runs still in flight would write into the next test's moto.
    built.lambdas.wait_idle(timeout=20)
    built.lambdas.stop()


def test_given_provisioned_schedules_when_the_clock_reaches_a_tick_then_the_job_runs_and_records_it(
    harness: Harness, clock: ManualClock
) -> None:
    harness.scheduler.run_pending()  # the scheduler starts at 09:00: nothing of the past fires
    assert harness.delivered == []

    clock.set(datetime(2026, 11, 28, 9, 15, tzinfo=UTC))
    firings = harness.scheduler.run_pending()

    assert sorted(firing.schedule for firing in firings) == [
        "devsphere-automation-sequences",
        "devsphere-automation-watchdog",
    ]
    assert harness.lambdas.wait_idle(timeout=20)
    runs = RunLog(90).recent_runs("sequences", 5)
    assert len(runs) == 1
    run = runs[0]
    assert (run.trigger, run.status) == ("SCHEDULE", "SUCCEEDED")
    assert run.scheduled_for == datetime(2026, 11, 28, 9, 15, tzinfo=UTC)
    assert run.count_values()["processed"] == 2
    assert run.logs.link == get_settings().log_link_template.format(
        region=get_settings().region,
        run_id=run.run_id,
        log_group="*2Faws*2Flambda*2Fdevsphere-automation-sequences",
    )


def test_given_a_tick_when_it_fires_then_the_event_is_what_eventbridge_scheduler_sends(
    harness: Harness, clock: ManualClock
) -> None:
    harness.scheduler.run_pending()
    clock.set(datetime(2026, 11, 28, 9, 15, tzinfo=UTC))

    harness.scheduler.run_pending()

    event = dict(harness.delivered)[harness.lambdas.function_arn("devsphere-automation-sequences")]
    assert set(event) == {"job", "trigger", "scheduled_time", "execution_id"}
    assert (event["job"], event["trigger"], event["scheduled_time"]) == (
        "sequences",
        "SCHEDULE",
        "2026-11-28T09:15:00Z",
    )
    assert uuid.UUID(event["execution_id"])


def test_given_hours_without_a_pass_when_the_scheduler_wakes_then_only_the_latest_tick_fires(
    harness: Harness, clock: ManualClock
) -> None:
    harness.scheduler.run_pending()
    clock.set(datetime(2026, 11, 28, 11, 7, tzinfo=UTC))

    firings = harness.scheduler.run_pending()

    sequences = [firing for firing in firings if firing.schedule.endswith("-sequences")]
    assert [firing.scheduled_time for firing in sequences] == [datetime(2026, 11, 28, 11, 0, tzinfo=UTC)]
    follow_ups = [firing for firing in firings if firing.schedule.endswith("-follow-ups")]
    assert [firing.scheduled_time for firing in follow_ups] == [datetime(2026, 11, 28, 11, 0, tzinfo=UTC)]


def test_given_a_schedule_paused_like_the_api_does_when_its_tick_passes_then_it_does_not_fire_until_resumed(
    harness: Harness, clock: ManualClock
) -> None:
    settings = harness.settings
    schedules = Schedules()
    harness.scheduler.run_pending()
    schedules.set_enabled(settings.schedule_name("sequences"), settings.schedule_group, enabled=False)

    clock.set(datetime(2026, 11, 28, 9, 15, tzinfo=UTC))
    harness.scheduler.run_pending()
    assert "devsphere-automation-sequences" not in harness.fired()

    schedules.set_enabled(settings.schedule_name("sequences"), settings.schedule_group, enabled=True)
    clock.set(datetime(2026, 11, 28, 9, 30, tzinfo=UTC))
    firings = harness.scheduler.run_pending()
    assert [f.scheduled_time for f in firings if f.schedule.endswith("-sequences")] == [
        datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    ]


def test_given_the_run_loop_when_time_passes_between_waits_then_ticks_fire_with_no_manual_call(
    harness: Harness, clock: ManualClock
) -> None:
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        clock.advance(timedelta(minutes=5))
        return len(waits) > 6  # a pass at each of 09:05 ... 09:30, then stop

    harness.scheduler.run(wait)

    assert all(0 <= seconds <= 1 for seconds in waits)
    sequences = [
        event["scheduled_time"] for target, event in harness.delivered if target.endswith("-sequences")
    ]
    assert sequences == ["2026-11-28T09:15:00Z", "2026-11-28T09:30:00Z"]
    assert harness.fired().count("devsphere-automation-watchdog") == 6
    assert harness.lambdas.wait_idle(timeout=20)
    runs = RunLog(90).recent_runs("sequences", 5)
    assert sorted(run.scheduled_for for run in runs) == [
        datetime(2026, 11, 28, 9, 15, tzinfo=UTC),
        datetime(2026, 11, 28, 9, 30, tzinfo=UTC),
    ]


def test_given_fire_now_when_called_then_each_named_job_fires_once_at_the_current_second(
    harness: Harness, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 11, 28, 9, 7, 30, 250000, tzinfo=UTC))
    names = [harness.settings.schedule_name(job) for job in ("sequences", "follow-ups")]

    firings = harness.scheduler.fire_now(names)

    assert [firing.schedule for firing in firings] == names
    assert {event["scheduled_time"] for _, event in harness.delivered} == {"2026-11-28T09:07:30Z"}
    assert harness.lambdas.wait_idle(timeout=20)
    assert [run.trigger for run in RunLog(90).recent_runs("sequences", 5)] == ["SCHEDULE"]
