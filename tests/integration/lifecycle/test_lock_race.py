"""Two starts racing for one job's lock, on the moto server that real concurrent clients talk to."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest

from functions.data.errors import JobBusyError
from functions.data.run_fencing import Fence
from functions.data.run_log import RunLog
from functions.data.run_types import LogLocation, Outcome
from functions.data.vocabulary import RunStatus
from functions.ids import new_run_id
from tests.support.serial_moto import serial_dynamodb

START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
CONTENDERS = 8


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    # Requests are atomic one by one, as in DynamoDB (see SerialMotoServer); the clients still race.
    with serial_dynamodb() as endpoint:
        yield endpoint


@pytest.mark.parametrize("trial", range(5))
def test_given_concurrent_ticks_when_they_race_then_exactly_one_holds_the_lock(moto_server, trial):
    barrier = Barrier(CONTENDERS)
    logs = LogLocation(None, None, None, None)

    def contend(index: int) -> str:
        run_log = RunLog(retention_days=90)
        run_id = new_run_id(START)
        tick = START + timedelta(minutes=15 * (index + 1) + 1000 * trial)
        barrier.wait()
        try:
            run_log.start_scheduled(
                "sequences", run_id, tick, tick.isoformat(), START, START + timedelta(minutes=5), logs
            )
        except JobBusyError:
            return "busy"
        return run_id

    with ThreadPoolExecutor(CONTENDERS) as pool:
        results = list(pool.map(contend, range(CONTENDERS)))

    winners = [result for result in results if result != "busy"]
    assert len(winners) == 1
    state = RunLog(retention_days=90).get_state("sequences")
    assert state.lock_run_id == winners[0]
    # The winner's outcome frees the lock in the same transaction, ready for the next trial.
    RunLog(retention_days=90).finish(
        winners[0], Outcome(RunStatus.SUCCEEDED, {}), START + timedelta(minutes=1), Fence.segment(1)
    )
    assert RunLog(retention_days=90).get_state("sequences").lock_run_id is None
