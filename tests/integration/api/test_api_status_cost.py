"""GET /jobs costs the same number of DynamoDB requests whatever the length of the run history."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from functions.data.models import IdempotencyModel, JobStateModel, RunModel, TickModel
from functions.ids import new_run_id

START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@contextmanager
def dynamodb_requests() -> Iterator[list[str]]:
    """Every DynamoDB operation any run-log model sends, via botocore's before-call hook on its client."""
    seen: list[str] = []

    def record(model, **_):
        seen.append(model.name)

    clients = [
        model._get_connection().connection.client
        for model in (RunModel, JobStateModel, TickModel, IdempotencyModel)
    ]
    for client in clients:
        client.meta.events.register("before-call.dynamodb", record)
    try:
        yield seen
    finally:
        for client in clients:
            client.meta.events.unregister("before-call.dynamodb", record)


def _copy_runs(run_log, template_id: str, count: int) -> None:
    """Bulk history cloned from a run the real runner recorded, each with an older id of its own."""
    template = run_log.get_run(template_id)
    with RunModel.batch_write() as batch:
        for number in range(count):
            created = START - timedelta(minutes=15 * (number + 1))
            clone = RunModel(
                new_run_id(created),
                **{name: getattr(template, name) for name in RunModel.get_attributes() if name != "run_id"},
            )
            clone.queued_at = clone.started_at = created
            batch.save(clone)


def _status_requests(api) -> tuple[list[str], dict]:
    with dynamodb_requests() as seen:
        reply = api("GET", "/jobs")
    assert reply.status == 200
    return seen, {status["job"]: status for status in reply.body["jobs"]}


def test_given_5000_runs_when_reading_status_then_the_requests_equal_those_for_10_runs(
    api, run_ticks, run_log
):
    [latest] = run_ticks("sequences", [START])
    _copy_runs(run_log, latest, 9)
    small, jobs_small = _status_requests(api)
    _copy_runs(run_log, latest, 4990)

    large, jobs_large = _status_requests(api)

    assert len(jobs_small["sequences"]["recent_runs"]) == 10
    assert len(jobs_large["sequences"]["recent_runs"]) == 20
    assert sorted(large) == sorted(small)
    assert "Scan" not in large
