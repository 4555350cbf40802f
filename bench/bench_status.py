"""Status cost against history: GET /jobs reads the same week of runs whether 10 or 5,000 older runs lie
behind it. Statistics cover a 7-day window (functions.lifecycle.statistics), so what a status read costs
follows the runs of that week, never the length of the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moto import mock_aws

from bench.timing import compare, report
from functions.catalog import CATALOG, JOB_NAMES
from functions.data.models import JobStateModel, RunModel, TickModel
from functions.data.run_log import RunLog
from functions.data.schema import create_tables
from functions.ids import new_run_id
from functions.lifecycle.status import collect_status

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
MODELS = (RunModel, JobStateModel, TickModel)


# The same recent week in both cases: one run per job every 4 hours.
RECENT_PER_JOB = 42
RECENT_EVERY = timedelta(hours=4)


def _seed(older_runs_per_job: int) -> None:
    with RunModel.batch_write() as batch:
        for job in JOB_NAMES:
            recent = [NOW - RECENT_EVERY * (n + 1) for n in range(RECENT_PER_JOB)]
            older = [NOW - timedelta(days=8, minutes=15 * n) for n in range(older_runs_per_job)]
            for n, moment in enumerate(recent + older):
                batch.save(
                    RunModel(
                        new_run_id(moment),
                        job=job,
                        status="SUCCEEDED",
                        trigger="SCHEDULE",
                        job_status=f"{job}#SUCCEEDED",
                        job_trigger=f"{job}#SCHEDULE",
                        queued_at=moment,
                        started_at=moment,
                        finished_at=moment + timedelta(seconds=3),
                        duration_ms=3000 + n % 500,
                        counts={"processed": 10, "succeeded": 10, "failed": 0, "skipped": 0},
                    )
                )


def _items_in(parsed: dict) -> int:
    if "Count" in parsed:
        return int(parsed["Count"])
    if "Responses" in parsed:
        return sum(len(items) for items in parsed["Responses"].values())
    return 1 if "Item" in parsed else 0


def _measure(older_runs_per_job: int) -> tuple[float, int, int]:
    """Seconds, DynamoDB requests and items returned for one status read."""
    with mock_aws():
        create_tables()
        _seed(older_runs_per_job)
        run_log = RunLog(retention_days=90)
        requests: list[int] = []
        clients = {id(client): client for client in (m._get_connection().connection.client for m in MODELS)}

        def count(parsed: dict, **_: object) -> None:
            requests.append(_items_in(parsed))

        for client in clients.values():
            client.meta.events.register("after-call.dynamodb", count)
        collect_status(CATALOG, run_log, NOW)
        for client in clients.values():
            client.meta.events.unregister("after-call.dynamodb", count)
        timings = compare({"status": lambda: collect_status(CATALOG, run_log, NOW)}, rounds=5)
        return timings["status"], len(requests), sum(requests)


def run() -> None:
    small = _measure(10 // len(JOB_NAMES) + 1)
    large = _measure(5000 // len(JOB_NAMES))
    print("\nstatus (GET /jobs) — the same week of runs, 10 vs 5,000 older runs behind it")
    print(f"  DynamoDB requests: {small[1]} vs {large[1]}   ratio {large[1] / small[1]:.2f}x")
    print(f"  items read:        {small[2]} vs {large[2]}   ratio {large[2] / small[2]:.2f}x")
    report(
        "  wall time (moto reads a whole index partition per query: grows here, not in DynamoDB)",
        {"10 runs": small[0], "5,000 runs": large[0]},
        "10 runs",
    )
