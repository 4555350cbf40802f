"""Two starts racing for one job's lock, on the moto server that real concurrent clients talk to."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest
from pynamodb.models import Model

from functions.data.errors import JobBusyError
from functions.data.run_fencing import Fence
from functions.data.run_log import RunLog
from functions.data.run_types import LogLocation, Outcome
from functions.data.vocabulary import RunStatus
from functions.ids import new_run_id

START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
CONTENDERS = 8


def _forget_pynamodb_connections() -> None:
    """pynamodb caches a client per model class; it must not outlive the server it points at."""
    pending = list(Model.__subclasses__())
    while pending:
        model = pending.pop()
        model._connection = None
        pending.extend(model.__subclasses__())


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    from functions.data.schema import create_tables
    from tests.support.serial_moto import SerialMotoServer

    # Requests are atomic one by one, as in DynamoDB (see SerialMotoServer); the clients still race.
    server = SerialMotoServer()
    endpoint = server.start()
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    _forget_pynamodb_connections()
    try:
        create_tables()
        yield endpoint
    finally:
        del os.environ["AWS_ENDPOINT_URL_DYNAMODB"]
        _forget_pynamodb_connections()
        server.stop()


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
