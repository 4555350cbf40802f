"""Unconfirmed deliveries: emails whose send may have happened, released by an admin after checking."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path

from functions.api.auth import current_caller
from functions.api.dependencies import get_clock, get_run_log
from functions.api.errors import AUDIT_WARNING_DOC, audit_headers
from functions.api.models import ItemErrorView, ReleaseRequest, ReleaseResult, RunDetail
from functions.api.routers import documented
from functions.clock import Clock
from functions.data.errors import NotFoundError
from functions.data.run_log import RunLog
from functions.data.run_types import Caller
from functions.ids import is_run_id
from functions.lifecycle import manual
from functions.lifecycle.views import run_detail

router = Router()


@router.post(
    "/runs/<run_id>/unconfirmed/release",
    operation_id="releaseUnconfirmed",
    summary="Let the next run send a run's unconfirmed emails again, after checking they did not go out",
    tags=["runs"],
    responses=documented(
        HTTPStatus.OK,
        ReleaseResult,
        "What was released, and what was not and why",
        HTTPStatus.BAD_REQUEST,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
        headers=AUDIT_WARNING_DOC,
    ),
)
def release_unconfirmed(
    run_id: Annotated[str, Path(description="Run id (ULID)")],
    body: ReleaseRequest,
    caller: Annotated[Caller, Depends(current_caller)],
    run_log: Annotated[RunLog, Depends(get_run_log)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> Response[ReleaseResult]:
    if not is_run_id(run_id):
        raise NotFoundError("run", run_id)
    result = manual.release_unconfirmed(
        run_id, body.claims, caller, body.reason, run_log=run_log, clock=clock
    )
    return Response(
        status_code=HTTPStatus.OK.value,
        content_type=content_types.APPLICATION_JSON,
        body=ReleaseResult(
            released=result.released,
            not_released=[ItemErrorView.model_validate(entry) for entry in result.not_released],
            run=RunDetail.model_validate(run_detail(result.run)),
        ),
        headers=audit_headers(result.audit_warning),
    )
