"""Reliability tests: faults injected at the botocore level against moto, figures printed per test."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from functions.clock import ManualClock
from functions.data.run_log import RunLog
from functions.settings import get_settings
from tests.integration.jobs.job_harness import Platform
from tests.reliability.faults import Faults
from tests.reliability.world import Tally, World

TALLIES: list[Tally] = []


@pytest.fixture
def world(
    aws: None, clock: ManualClock, lambda_context: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    # Every backoff — botocore's and ours — waits on the test's clock instead of the wall clock.
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    monkeypatch.setattr(time, "sleep", sleep)
    settings = get_settings()
    boto3.client("ses").verify_email_identity(EmailAddress=settings.sender_email)
    faults = Faults()
    with faults.active():
        run_log = RunLog(retention_days=90)
        yield World(Platform(clock, lambda_context, run_log), faults, clock, run_log)


@pytest.fixture
def report(world: World, request: pytest.FixtureRequest) -> Callable[[], Tally]:
    def take() -> Tally:
        tally = world.tally(request.node.name.removeprefix("test_given_"))
        TALLIES.append(tally)
        assert (tally.duplicates, tally.lost_items, tally.left_in_flight, tally.silent_successes) == (
            0,
            0,
            0,
            0,
        )
        return tally

    return take


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLIES:
        return
    terminalreporter.section("reliability figures")
    for tally in TALLIES:
        terminalreporter.write_line(tally.row())
    total = Tally(
        "TOTAL",
        *(
            sum(getattr(t, name) for t in TALLIES)
            for name in (
                "faults",
                "runs",
                "items_due",
                "emails_sent",
                "duplicates",
                "lost_items",
                "left_in_flight",
                "silent_successes",
            )
        ),
    )
    terminalreporter.write_line(total.row())
