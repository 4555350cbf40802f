"""Schedules: pausing and resuming a job's EventBridge schedule. Manual runs still work while paused."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.api.auth import current_caller
from functions.api.dependencies import get_clock, get_run_log, get_schedules
from functions.api.errors import AUDIT_WARNING_DOC, audit_headers
from functions.api.models import JobStatus, PauseRequest, ResumeRequest
from functions.api.routers import WITH_BODY, documented
from functions.catalog import JobDefinition, get_job
from functions.clock import Clock
from functions.data.run_log import RunLog
from functions.data.run_types import Caller
from functions.data.schedules import Schedules
from functions.lifecycle import manual
from functions.lifecycle.status import collect_status

router = Router()

JobName = Annotated[str, Path(description="Job name, e.g. `sequences`")]
_ERRORS = WITH_BODY


def _change(
    job: JobDefinition,
    paused: bool,
    caller: Caller,
    reason: str | None,
    run_log: RunLog,
    schedules: Schedules,
    clock: Clock,
) -> Response[JobStatus]:
    warning = manual.set_paused(
        job, paused, caller, reason, run_log=run_log, schedules=schedules, clock=clock
    )
    return Response(
        status_code=HTTPStatus.OK.value,
        content_type=content_types.APPLICATION_JSON,
        body=JobStatus.model_validate(collect_status([job], run_log, clock.now())[0]),
        headers=audit_headers(warning),
    )


@router.post(
    "/jobs/<job>/pause",
    operation_id="pauseJob",
    summary="Pause a job: disable its schedule",
    tags=["schedules"],
    responses=documented(
        HTTPStatus.OK, JobStatus, "The job's status, now PAUSED", *_ERRORS, headers=AUDIT_WARNING_DOC
    ),
)
def pause(
    job: JobName,
    body: PauseRequest,
    caller: Annotated[Caller, Depends(current_caller)],
    run_log: Annotated[RunLog, Depends(get_run_log)],
    schedules: Annotated[Schedules, Depends(get_schedules)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> Response[JobStatus]:
    return _change(get_job(job), True, caller, body.reason, run_log, schedules, clock)


@router.post(
    "/jobs/<job>/resume",
    operation_id="resumeJob",
    summary="Resume a job: enable its schedule again",
    tags=["schedules"],
    responses=documented(HTTPStatus.OK, JobStatus, "The job's status", *_ERRORS, headers=AUDIT_WARNING_DOC),
)
def resume(
    job: JobName,
    caller: Annotated[Caller, Depends(current_caller)],
    run_log: Annotated[RunLog, Depends(get_run_log)],
    schedules: Annotated[Schedules, Depends(get_schedules)],
    clock: Annotated[Clock, Depends(get_clock)],
    body: Annotated[ResumeRequest | None, Body()] = None,
) -> Response[JobStatus]:
    reason = body.reason if body else None
    return _change(get_job(job), False, caller, reason, run_log, schedules, clock)
