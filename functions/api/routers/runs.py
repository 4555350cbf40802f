"""Runs: the run log, newest first with filters and cursor paging, and one run in full."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from functions.api.cursor import decode_cursor, encode_cursor
from functions.api.dependencies import get_run_log
from functions.api.errors import InvalidRequestError
from functions.api.models import KnownJob, RunDetail, RunPage, RunSummary, UtcTime
from functions.api.routers import documented
from functions.catalog import JOB_NAMES
from functions.data.errors import NotFoundError
from functions.data.run_log import RunLog
from functions.data.run_types import RunQuery
from functions.data.vocabulary import RunStatus, Trigger
from functions.ids import is_run_id
from functions.lifecycle.views import run_detail, run_summary

router = Router()

MAX_LIMIT = 100
DEFAULT_LIMIT = 25
MAX_CURSOR = 512


@router.get(
    "/runs",
    operation_id="listRuns",
    summary="The run log, newest first",
    tags=["runs"],
    responses=documented(HTTPStatus.OK, RunPage, "One page of runs"),
)
def list_runs(
    run_log: Annotated[RunLog, Depends(get_run_log)],
    job: Annotated[KnownJob | None, Query(description="Only this job")] = None,
    status: Annotated[RunStatus | None, Query(description="Only runs in this status")] = None,
    trigger: Annotated[Trigger | None, Query(description="Only scheduled or only manual runs")] = None,
    since: Annotated[
        UtcTime | None, Query(alias="from", description="Runs created at or after this time")
    ] = None,
    until: Annotated[
        UtcTime | None, Query(alias="to", description="Runs created at or before this time")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=MAX_CURSOR, description="`next_cursor` of the previous page, same filters"),
    ] = None,
) -> RunPage:
    if since and until and since > until:
        raise InvalidRequestError("from", "must not be later than `to`")
    filters: dict[str, Any] = {"job": job, "status": status, "trigger": trigger, "from": since, "to": until}
    page = run_log.query_runs(
        RunQuery(
            jobs=[job] if job else JOB_NAMES,
            status=status,
            trigger=trigger,
            since=since,
            until=until,
            before_run_id=decode_cursor(cursor, filters) if cursor else None,
            limit=limit,
        )
    )
    return RunPage(
        runs=[RunSummary.model_validate(run_summary(run)) for run in page.runs],
        next_cursor=encode_cursor(page.last_run_id, filters) if page.last_run_id else None,
    )


@router.get(
    "/runs/<run_id>",
    operation_id="getRun",
    summary="One run in full: counts, error, failed items, caller, where its logs are",
    tags=["runs"],
    responses=documented(HTTPStatus.OK, RunDetail, "The run"),
)
def get_run(
    run_id: Annotated[str, Path(description="Run id (ULID)")],
    run_log: Annotated[RunLog, Depends(get_run_log)],
) -> RunDetail:
    if not is_run_id(run_id):
        raise NotFoundError("run", run_id)
    return RunDetail.model_validate(run_detail(run_log.get_run(run_id)))
