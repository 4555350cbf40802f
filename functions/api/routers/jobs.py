"""Jobs: the status of every job, one job in detail with its admins' activity, and running a job now."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from functions.api.auth import current_caller
from functions.api.dependencies import get_clock, get_invoker, get_run_log
from functions.api.errors import AUDIT_WARNING_DOC, IdempotencyKeyMismatchError, audit_headers
from functions.api.models import (
    ActivityPage,
    ActivityView,
    IdempotencyKeyHeader,
    JobDetail,
    JobList,
    RunAccepted,
    RunNowRequest,
)
from functions.api.routers import WITH_BODY, documented
from functions.catalog import CATALOG, get_job
from functions.clock import Clock, isoformat
from functions.data.errors import NotFoundError
from functions.data.run_log import RunLog
from functions.data.run_types import Caller
from functions.lifecycle import manual
from functions.lifecycle.invoker import LambdaInvoker
from functions.lifecycle.status import collect_status
from functions.lifecycle.views import activity_view, run_detail

router = Router()

JobName = Annotated[str, Path(description="Job name, e.g. `sequences`")]
# The latest entries shown with a job's status; the activity route pages through the rest.
JOB_ACTIVITY = 5
MAX_ACTIVITY = 100
# An activity cursor is the journal key of the last entry shown: its time and id.
ACTIVITY_CURSOR_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z#[0-9a-f]{1,32}$"


@router.get(
    "/jobs",
    operation_id="listJobs",
    summary="Status of every job",
    tags=["jobs"],
    responses=documented(HTTPStatus.OK, JobList, "Every job's health, schedule, last and recent runs"),
)
def list_jobs(
    run_log: Annotated[RunLog, Depends(get_run_log)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> JobList:
    now = clock.now()
    return JobList.model_validate(
        {"jobs": collect_status(CATALOG, run_log, now), "generated_at": isoformat(now)}
    )


@router.get(
    "/jobs/<job>",
    operation_id="getJob",
    summary="Status of one job, with its last problem run in full and daily trends",
    tags=["jobs"],
    responses=documented(HTTPStatus.OK, JobDetail, "The job's status"),
)
def get_job_status(
    job: JobName,
    run_log: Annotated[RunLog, Depends(get_run_log)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> JobDetail:
    status = collect_status([get_job(job)], run_log, clock.now(), with_trends=True)[0]
    failure, problem = status["last_failure"], status["last_problem"]
    activity = run_log.list_activity(job, JOB_ACTIVITY)
    return JobDetail.model_validate(
        {
            **status,
            "activity": [activity_view(entry) for entry in activity.entries],
            "last_failure_run": _detail_if_kept(run_log, failure["run_id"]) if failure else None,
            "last_problem_run": _detail_if_kept(run_log, problem["run_id"]) if problem else None,
        }
    )


@router.get(
    "/jobs/<job>/activity",
    operation_id="listJobActivity",
    summary="The admins' actions on a job, newest first: who, when, why, which run",
    tags=["jobs"],
    responses=documented(HTTPStatus.OK, ActivityPage, "One page of the job's activity trail"),
)
def list_job_activity(
    job: JobName,
    run_log: Annotated[RunLog, Depends(get_run_log)],
    limit: Annotated[int, Query(ge=1, le=MAX_ACTIVITY, description="Page size")] = 25,
    cursor: Annotated[
        str | None,
        Query(pattern=ACTIVITY_CURSOR_PATTERN, description="`next_cursor` of the previous page"),
    ] = None,
) -> ActivityPage:
    page = run_log.list_activity(get_job(job).name, limit, cursor)
    return ActivityPage(
        entries=[ActivityView.model_validate(activity_view(entry)) for entry in page.entries],
        next_cursor=page.before,
    )


def _detail_if_kept(run_log: RunLog, run_id: str) -> dict[str, Any] | None:
    try:
        return run_detail(run_log.get_run(run_id))
    except NotFoundError:
        return None  # past its retention: the status still names it, the record is gone


@router.post(
    "/jobs/<job>/runs",
    operation_id="runJobNow",
    summary="Run a job now",
    description=(
        "Queues a MANUAL run recording the caller and reason, and invokes the job's function. "
        "A repeated `Idempotency-Key` returns the run the first request created; the same key with a "
        "different job or reason is refused (422, `IDEMPOTENCY_KEY_MISMATCH`). `Location` is relative to "
        "the request URL."
    ),
    tags=["jobs"],
    responses=documented(
        HTTPStatus.ACCEPTED,
        RunAccepted,
        "The run was queued and its function invoked; `Location` points at the run",
        HTTPStatus.CONFLICT,
        *WITH_BODY,
        headers={
            "Location": {
                "description": "The run, relative to the request URL: `../../runs/<run_id>`",
                "schema": {"type": "string"},
            },
            **AUDIT_WARNING_DOC,
        },
    ),
)
def run_now(
    job: JobName,
    body: RunNowRequest,
    caller: Annotated[Caller, Depends(current_caller)],
    run_log: Annotated[RunLog, Depends(get_run_log)],
    invoker: Annotated[LambdaInvoker, Depends(get_invoker)],
    clock: Annotated[Clock, Depends(get_clock)],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[RunAccepted]:
    definition = get_job(job)
    started = manual.run_now(
        definition,
        caller,
        body.reason,
        run_log=run_log,
        invoker=invoker,
        clock=clock,
        idempotency_key=idempotency_key,
    )
    run = started.run
    if (run.job, run.reason) != (definition.name, body.reason):
        raise IdempotencyKeyMismatchError(run.run_id)
    return Response(
        status_code=HTTPStatus.ACCEPTED.value,
        content_type=content_types.APPLICATION_JSON,
        body=RunAccepted.model_validate({"run": run_detail(run)}),
        # Relative to this request's URL (.../jobs/<job>/runs), so it resolves under whatever prefix the
        # API is served at: the stage in AWS, /api locally.
        headers={"Location": f"../../runs/{run.run_id}", **audit_headers(started.audit_warning)},
    )
