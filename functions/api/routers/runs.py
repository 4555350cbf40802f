"""Runs: the run log, newest first with filters and cursor paging, one run in full, and cancelling a run."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from functions.api.auth import current_caller
from functions.api.cursor import decode_cursor, encode_cursor
from functions.api.dependencies import get_clock, get_run_log
from functions.api.errors import AUDIT_WARNING_DOC, InvalidRequestError, audit_headers
from functions.api.models import (
    CancelAccepted,
    CancelRunRequest,
    KnownJob,
    RunDetail,
    RunPage,
    RunSummary,
    SearchView,
    UtcTime,
)
from functions.api.routers import WITH_BODY, documented
from functions.catalog import JOB_NAMES
from functions.clock import Clock, isoformat
from functions.data.errors import NotFoundError
from functions.data.run_log import RunLog
from functions.data.run_types import Caller, RunQuery
from functions.data.vocabulary import RunStatus, Trigger
from functions.ids import is_run_id
from functions.lifecycle.manual import cancel_run
from functions.lifecycle.missed import late_run_of
from functions.lifecycle.search import MAX_SEARCH_RUNS, search_runs
from functions.lifecycle.statistics import WINDOW_DAYS
from functions.lifecycle.views import run_detail, run_summary

router = Router()

MAX_LIMIT = 100
DEFAULT_LIMIT = 25
MAX_CURSOR = 512
MAX_SEARCH = 200


@router.get(
    "/runs",
    operation_id="listRuns",
    summary="The run log, newest first",
    description=(
        "`q` searches: a run id returns that run; any other text is looked for in the failed items "
        f"(key and reason, case-insensitive) of the runs between `from` (default: {WINDOW_DAYS} days ago) "
        f"and `to`, reading at most {MAX_SEARCH_RUNS} runs per request; `next_cursor` goes on from there."
    ),
    tags=["runs"],
    responses=documented(HTTPStatus.OK, RunPage, "One page of runs"),
)
def list_runs(
    run_log: Annotated[RunLog, Depends(get_run_log)],
    clock: Annotated[Clock, Depends(get_clock)],
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
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_SEARCH,
            description="A run id, or an item key or email address to find in the runs' failed items",
        ),
    ] = None,
) -> RunPage:
    if since and until and since > until:
        raise InvalidRequestError("from", "must not be later than `to`")
    filters: dict[str, Any] = {"job": job, "status": status, "trigger": trigger, "from": since, "to": until}
    if q and q.strip():
        return _search(run_log, q, {**filters, "q": q}, cursor, limit, clock)
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


def _search(
    run_log: RunLog, text: str, filters: dict[str, Any], cursor: str | None, limit: int, clock: Clock
) -> RunPage:
    since = filters["from"] or clock.now() - timedelta(days=WINDOW_DAYS)
    result = search_runs(
        run_log,
        text,
        jobs=[filters["job"]] if filters["job"] else JOB_NAMES,
        status=filters["status"],
        trigger=filters["trigger"],
        since=since,
        until=filters["to"],
        before_run_id=decode_cursor(cursor, filters) if cursor else None,
        limit=limit,
    )
    return RunPage(
        runs=[RunSummary.model_validate(run_summary(run)) for run in result.runs],
        next_cursor=encode_cursor(result.continue_after, filters) if result.continue_after else None,
        search=SearchView(kind=result.kind, runs_read=result.runs_read, since=isoformat(since)),
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
    run = run_log.get_run(run_id)
    return RunDetail.model_validate(run_detail(run, ran_late_as=late_run_of(run_log, run)))


@router.post(
    "/runs/<run_id>/cancel",
    operation_id="cancelRun",
    summary="Ask a QUEUED or RUNNING run to stop; it ends CANCELLED at its next checkpoint",
    description=(
        "Cooperative: the run keeps what it did so far and stops before its next page or item (a queued run "
        "stops as soon as its function picks it up). 409 `RUN_NOT_CANCELLABLE` names the status of a run "
        "that already finished, or says a cancel is already pending. Recorded in the job's activity."
    ),
    tags=["runs"],
    responses=documented(
        HTTPStatus.ACCEPTED,
        CancelAccepted,
        "The cancel is recorded on the run; follow the run until it is CANCELLED",
        HTTPStatus.CONFLICT,
        *WITH_BODY,
        headers=AUDIT_WARNING_DOC,
    ),
)
def cancel(
    run_id: Annotated[str, Path(description="Run id (ULID)")],
    body: CancelRunRequest,
    caller: Annotated[Caller, Depends(current_caller)],
    run_log: Annotated[RunLog, Depends(get_run_log)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> Response[CancelAccepted]:
    if not is_run_id(run_id):
        raise NotFoundError("run", run_id)
    requested = cancel_run(run_id, caller, body.reason, run_log=run_log, clock=clock)
    return Response(
        status_code=HTTPStatus.ACCEPTED.value,
        content_type=content_types.APPLICATION_JSON,
        body=CancelAccepted.model_validate({"run": run_detail(requested.run)}),
        headers=audit_headers(requested.audit_warning),
    )
