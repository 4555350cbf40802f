"""Recovery after a fix: release a run's parked items, or retry its failed items in a new run."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path

from functions.api.auth import current_caller
from functions.api.dependencies import get_clock, get_invoker, get_run_log
from functions.api.errors import AUDIT_WARNING_DOC, IdempotencyKeyMismatchError, audit_headers
from functions.api.models import (
    IdempotencyKeyHeader,
    ItemErrorView,
    ParkedReleaseResult,
    ReleasedItemView,
    ReleaseParkedRequest,
    RetryAccepted,
    RetryRequest,
    RunDetail,
)
from functions.api.routers import WITH_BODY, documented
from functions.automations.release import ReleaseOutcome
from functions.clock import Clock
from functions.data.errors import NotFoundError
from functions.data.run_log import RunLog
from functions.data.run_types import MAX_ITEM_ERRORS, Caller
from functions.ids import is_run_id
from functions.lifecycle import recovery
from functions.lifecycle.invoker import LambdaInvoker
from functions.lifecycle.views import run_detail

router = Router()

RunId = Annotated[str, Path(description="Run id (ULID)")]


def _released(outcomes: list[ReleaseOutcome]) -> list[ReleasedItemView]:
    return [ReleasedItemView(key=outcome.key, detail=outcome.detail) for outcome in outcomes]


def _not_released(outcomes: list[ReleaseOutcome]) -> list[ItemErrorView]:
    return [ItemErrorView(key=outcome.key, reason=outcome.detail) for outcome in outcomes]


@router.post(
    "/runs/<run_id>/parked/release",
    operation_id="releaseParked",
    summary="Put a run's failed and parked items back to work for the job's next run",
    description=(
        "For each failed item the run lists (or each of `items`): a parked record (retry limit reached) goes "
        "back in the due queue from now with its failures forgotten; a failed record still due has its "
        "failures forgotten. A record changed since (re-imported, stopped, unsubscribed, bounced, delivered) "
        "is not revived; `not_released` says why. Its last error stays visible until the next attempt. "
        f"A run lists at most {MAX_ITEM_ERRORS} failed items: the release covers the ones it lists. "
        "Refused (409) while the job has a run in flight; 422 when the run lists no failed items."
    ),
    tags=["runs"],
    responses=documented(
        HTTPStatus.OK,
        ParkedReleaseResult,
        "What was released, and what was not and why",
        HTTPStatus.CONFLICT,
        *WITH_BODY,
        headers=AUDIT_WARNING_DOC,
    ),
)
def release_parked(
    run_id: RunId,
    body: ReleaseParkedRequest,
    caller: Annotated[Caller, Depends(current_caller)],
    run_log: Annotated[RunLog, Depends(get_run_log)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> Response[ParkedReleaseResult]:
    if not is_run_id(run_id):
        raise NotFoundError("run", run_id)
    result = recovery.release_parked(run_id, body.items, caller, body.reason, run_log=run_log, clock=clock)
    return Response(
        status_code=HTTPStatus.OK.value,
        content_type=content_types.APPLICATION_JSON,
        body=ParkedReleaseResult(
            released=_released(result.released),
            not_released=_not_released(result.not_released),
            summary=result.summary,
            run=RunDetail.model_validate(run_detail(result.run)),
        ),
        headers=audit_headers(result.audit_warning),
    )


@router.post(
    "/runs/<run_id>/retry",
    operation_id="retryRun",
    summary="Retry the failed items of a run: release them, then run the job now",
    description=(
        "Only for a run that ended FAILED, PARTIAL or TIMED_OUT (else 409 `RUN_NOT_RETRYABLE`). Refused "
        "(409 `RUN_IN_FLIGHT`) while the job has a run in flight, before anything is released. Releases the "
        "run's failed items as `POST /runs/{run_id}/parked/release` does, then queues a MANUAL run like run "
        "now, whose reason names the retried run and whose `retry_of` is its id. A repeated "
        "`Idempotency-Key` returns the run the first request started and releases nothing again; the same "
        "key for another run or reason is refused (422, `IDEMPOTENCY_KEY_MISMATCH`). `Location` is relative "
        "to the request URL."
    ),
    tags=["runs"],
    responses=documented(
        HTTPStatus.ACCEPTED,
        RetryAccepted,
        "The items were released and the new run queued; `Location` points at the new run",
        HTTPStatus.CONFLICT,
        *WITH_BODY,
        headers={
            "Location": {
                "description": "The new run, relative to the request URL: `../<new run_id>`",
                "schema": {"type": "string"},
            },
            **AUDIT_WARNING_DOC,
        },
    ),
)
def retry_run(
    run_id: RunId,
    body: RetryRequest,
    caller: Annotated[Caller, Depends(current_caller)],
    run_log: Annotated[RunLog, Depends(get_run_log)],
    invoker: Annotated[LambdaInvoker, Depends(get_invoker)],
    clock: Annotated[Clock, Depends(get_clock)],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[RetryAccepted]:
    if not is_run_id(run_id):
        raise NotFoundError("run", run_id)
    retry = recovery.retry_failed(
        run_id,
        caller,
        body.reason,
        run_log=run_log,
        invoker=invoker,
        clock=clock,
        idempotency_key=idempotency_key,
    )
    if (retry.run.retry_of, retry.run.reason) != (run_id, recovery.retry_reason(run_id, body.reason)):
        raise IdempotencyKeyMismatchError(retry.run.run_id)
    release = retry.release
    return Response(
        status_code=HTTPStatus.ACCEPTED.value,
        content_type=content_types.APPLICATION_JSON,
        body=RetryAccepted(
            run=RunDetail.model_validate(run_detail(retry.run)),
            retried_run_id=run_id,
            released=_released(release.released) if release else [],
            not_released=_not_released(release.not_released) if release else [],
            summary=release.summary if release else None,
            repeated=release is None,
        ),
        # Relative to this request's URL (.../runs/<id>/retry): resolves under any prefix.
        headers={"Location": f"../{retry.run.run_id}", **audit_headers(retry.audit_warning)},
    )
