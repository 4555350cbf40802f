"""Reading the run log and job state: runs by id, by job and status, by tick; never a Scan."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.expressions.condition import Condition

from functions.data.errors import NotFoundError, storage_errors
from functions.data.models import JobStateModel, RunModel, TickModel, job_state_key, tick_key
from functions.data.run_types import RunPage, RunQuery
from functions.data.vocabulary import RunStatus
from functions.ids import run_id_ceiling, run_id_floor, run_id_predecessor


class RunQueries:
    def get_run(self, run_id: str) -> RunModel:
        with storage_errors("reading a run"):
            try:
                return RunModel.get(run_id, consistent_read=True)
            except RunModel.DoesNotExist:
                raise NotFoundError("run", run_id) from None

    def find_tick_run(self, job: str, scheduled_key: str) -> str | None:
        with storage_errors("reading a tick"):
            try:
                return TickModel.get(tick_key(job, scheduled_key), consistent_read=True).run_id
            except TickModel.DoesNotExist:
                return None

    def get_states(self, jobs: Sequence[str]) -> dict[str, JobStateModel]:
        """One batch read for every job's state; a job never seen gets a blank state."""
        with storage_errors("reading job state"):
            found = {state.job: state for state in JobStateModel.batch_get([job_state_key(j) for j in jobs])}
        return {job: found.get(job) or JobStateModel(job_state_key(job), job=job) for job in jobs}

    def get_state(self, job: str) -> JobStateModel:
        return self.get_states([job])[job]

    def recent_runs(self, job: str, limit: int) -> list[RunModel]:
        with storage_errors("listing runs"):
            return list(RunModel.job_index.query(job, scan_index_forward=False, limit=limit))

    def query_runs(self, query: RunQuery) -> RunPage:
        """Newest first across the requested jobs: one indexed query per job, merged by run id."""
        low = run_id_floor(query.since) if query.since else None
        high = run_id_ceiling(query.until) if query.until else None
        if query.before_run_id:
            before = run_id_predecessor(query.before_run_id)
            high = min(high, before) if high else before
        if low and high and low > high:
            return RunPage(runs=[], last_run_id=None)
        merged: list[RunModel] = []
        for job in query.jobs:
            merged.extend(self._query_job(job, query, low, high))
        merged.sort(key=lambda run: run.run_id, reverse=True)
        page = merged[: query.limit]
        more = len(merged) > query.limit
        return RunPage(runs=page, last_run_id=page[-1].run_id if more and page else None)

    def _query_job(self, job: str, query: RunQuery, low: str | None, high: str | None) -> list[RunModel]:
        key_condition: Condition | None = None
        if low and high:
            key_condition = RunModel.run_id.between(low, high)
        elif high:
            key_condition = RunModel.run_id <= high
        elif low:
            key_condition = RunModel.run_id >= low
        filter_condition = None
        if query.status is not None:
            index: Any = RunModel.job_status_index
            partition = f"{job}#{query.status.value}"
            if query.trigger is not None:
                filter_condition = RunModel.trigger == query.trigger.value
        elif query.trigger is not None:
            index = RunModel.job_trigger_index
            partition = f"{job}#{query.trigger.value}"
        else:
            index = RunModel.job_index
            partition = job
        with storage_errors("listing runs"):
            return list(
                index.query(
                    partition,
                    key_condition,
                    filter_condition,
                    scan_index_forward=False,
                    limit=query.limit + 1,
                )
            )

    def in_flight_runs(self, job: str) -> list[RunModel]:
        """Every QUEUED or RUNNING run of a job, by its status partition: the watchdog's list, lock or not."""
        runs: list[RunModel] = []
        with storage_errors("listing runs in flight"):
            for status in (RunStatus.QUEUED, RunStatus.RUNNING):
                runs.extend(RunModel.job_status_index.query(f"{job}#{status.value}"))
        return runs
