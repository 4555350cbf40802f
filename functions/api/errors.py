"""HTTP answers for errors: one handler per domain error, every body `{"error": {"code", "message", ...}}`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError as RouteNotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from functions.api.auth import AuthError, ForbiddenError, authorize, was_authorized
from functions.api.cursor import InvalidCursorError
from functions.api.edges import BodyTooDeepError, BodyTooLargeError, echo
from functions.catalog import JOB_NAMES, UnknownJobError
from functions.data.errors import JobBusyError, NotFoundError, ScheduleError, StorageError
from functions.data.run_fencing import NotCancellableError
from functions.lifecycle.manual import NothingToReleaseError, RunNotStartedError
from functions.lifecycle.recovery import NothingFailedError, NotRetryableError
from functions.observability import logger

MAX_DETAILS = 20
# An admin action that was done but could not be recorded in the job's activity trail says so here.
AUDIT_WARNING = "Audit-Warning"
AUDIT_WARNING_DOC: dict[str, Any] = {
    AUDIT_WARNING: {
        "description": "Set when the action was done but its activity entry could not be recorded",
        "schema": {"type": "string"},
    }
}


def audit_headers(warning: str | None) -> dict[str, str]:
    # Header values travel as latin-1: keep the warning to plain ASCII.
    return {AUDIT_WARNING: warning.encode("ascii", "replace").decode()} if warning else {}


class InvalidRequestError(Exception):
    """Input that is well-formed but inconsistent (e.g. a time range that ends before it starts)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class IdempotencyKeyMismatchError(Exception):
    """An Idempotency-Key used again for a different request: repeating it must not return another run."""

    def __init__(self, run_id: str) -> None:
        super().__init__(
            "this Idempotency-Key was already used for a different request; use a new key for a new request"
        )
        self.run_id = run_id


def error_response(status: HTTPStatus, code: str, message: str, **extra: Any) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status is HTTPStatus.UNAUTHORIZED else None
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"code": code, "message": message, **extra}},
        headers=headers,
    )


def _location(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _details(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    # Only where and what: pydantic's input echo and context can be large or reveal internals.
    return [
        {
            "field": echo(_location(error.get("loc", ()))),
            "type": str(error.get("type")),
            "message": echo(str(error.get("msg")).removeprefix("Value error, ")),
        }
        for error in errors[:MAX_DETAILS]
    ]


def register_error_handlers(app: ApiGatewayResolver) -> None:
    def request_id() -> str | None:
        context = app.current_event.raw_event.get("requestContext")
        value = context.get("requestId") if isinstance(context, Mapping) else None
        return value if isinstance(value, str) else None

    def refusal() -> Response | None:
        """Powertools validates input before our middleware runs; a refused caller learns nothing of it."""
        if app.current_event.http_method.upper() == "OPTIONS":
            return None
        try:
            authorize(app.current_event)
        except AuthError as error:
            return on_auth_error(error)
        return None

    @app.exception_handler(AuthError)
    def on_auth_error(error: AuthError) -> Response:
        if isinstance(error, ForbiddenError):
            return error_response(HTTPStatus.FORBIDDEN, "FORBIDDEN", str(error))
        return error_response(HTTPStatus.UNAUTHORIZED, "UNAUTHENTICATED", str(error))

    @app.exception_handler(RequestValidationError)
    def on_validation_error(error: RequestValidationError) -> Response:
        if (denied := refusal()) is not None:
            return denied
        errors = list(error.errors())
        if any(item.get("type") == "json_invalid" for item in errors):
            return error_response(
                HTTPStatus.BAD_REQUEST, "INVALID_JSON", "the request body is not valid JSON"
            )
        details = _details(errors)
        summary = "; ".join(f"{item['field']}: {item['message']}" for item in details) or "invalid request"
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "VALIDATION_ERROR", summary, details=details)

    @app.exception_handler(BodyTooLargeError)
    def on_body_too_large(error: BodyTooLargeError) -> Response:
        return refusal() or error_response(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "PAYLOAD_TOO_LARGE", str(error)
        )

    @app.exception_handler(BodyTooDeepError)
    def on_body_too_deep(error: BodyTooDeepError) -> Response:
        return refusal() or error_response(HTTPStatus.BAD_REQUEST, "INVALID_JSON", str(error))

    @app.exception_handler(IdempotencyKeyMismatchError)
    def on_idempotency_mismatch(error: IdempotencyKeyMismatchError) -> Response:
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY, "IDEMPOTENCY_KEY_MISMATCH", str(error), run_id=error.run_id
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def on_unsupported_content_type(_: RequestUnsupportedContentType) -> Response:
        return refusal() or error_response(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json"
        )

    @app.exception_handler(InvalidRequestError)
    def on_invalid_request(error: InvalidRequestError) -> Response:
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "VALIDATION_ERROR",
            str(error),
            details=[{"field": error.field, "type": "value_error", "message": str(error)}],
        )

    @app.exception_handler(InvalidCursorError)
    def on_invalid_cursor(error: InvalidCursorError) -> Response:
        return error_response(HTTPStatus.BAD_REQUEST, "INVALID_CURSOR", str(error))

    @app.exception_handler(RouteNotFoundError)
    def on_unknown_route(_: RouteNotFoundError) -> Response:
        return error_response(HTTPStatus.NOT_FOUND, "NOT_FOUND", "no such endpoint")

    @app.exception_handler(UnknownJobError)
    def on_unknown_job(error: UnknownJobError) -> Response:
        known = ", ".join(JOB_NAMES)
        return error_response(
            HTTPStatus.NOT_FOUND, "JOB_NOT_FOUND", f"unknown job '{echo(error.name)}'; known jobs: {known}"
        )

    @app.exception_handler(NotFoundError)
    def on_not_found(error: NotFoundError) -> Response:
        return error_response(
            HTTPStatus.NOT_FOUND,
            f"{error.kind.upper()}_NOT_FOUND",
            f"{error.kind} '{echo(error.key)}' was not found",
        )

    @app.exception_handler(JobBusyError)
    def on_job_busy(error: JobBusyError) -> Response:
        return error_response(
            HTTPStatus.CONFLICT,
            "RUN_IN_FLIGHT",
            f"'{error.job}' already has a run in flight; wait for it to finish",
            run_id=error.blocking_run_id,
        )

    @app.exception_handler(NothingToReleaseError)
    def on_nothing_to_release(error: NothingToReleaseError) -> Response:
        return error_response(HTTPStatus.CONFLICT, "NOTHING_TO_RELEASE", str(error))

    @app.exception_handler(NothingFailedError)
    def on_nothing_failed(error: NothingFailedError) -> Response:
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "NO_FAILED_ITEMS", str(error))

    @app.exception_handler(NotRetryableError)
    def on_not_retryable(error: NotRetryableError) -> Response:
        return error_response(HTTPStatus.CONFLICT, "RUN_NOT_RETRYABLE", str(error), run_status=error.status)

    @app.exception_handler(NotCancellableError)
    def on_not_cancellable(error: NotCancellableError) -> Response:
        return error_response(
            HTTPStatus.CONFLICT,
            "RUN_NOT_CANCELLABLE",
            str(error),
            run_id=error.run_id,
            run_status=error.status,
        )

    @app.exception_handler(RunNotStartedError)
    def on_run_not_started(error: RunNotStartedError) -> Response:
        return error_response(
            HTTPStatus.BAD_GATEWAY,
            "INVOKE_FAILED",
            f"the job's function could not be invoked; run {error.run.run_id} was marked FAILED",
            run_id=error.run.run_id,
        )

    @app.exception_handler(ScheduleError)
    def on_schedule_error(error: ScheduleError) -> Response:
        logger.exception("scheduler request failed")
        return error_response(
            HTTPStatus.BAD_GATEWAY,
            "SCHEDULER_FAILED",
            "EventBridge Scheduler did not accept the change; try again",
            request_id=request_id(),
        )

    @app.exception_handler(StorageError)
    def on_storage_error(error: StorageError) -> Response:
        logger.exception("run log request failed")
        return error_response(
            HTTPStatus.SERVICE_UNAVAILABLE,
            "STORAGE_UNAVAILABLE",
            "the run log is unavailable; try again",
            request_id=request_id(),
        )

    @app.exception_handler(ValueError)
    def on_value_error(error: ValueError) -> Response:
        # Before authorization, only Powertools' request decoding runs (base64, text encoding, multipart
        # boundaries): a ValueError there is an undecodable request. After it, it is our bug.
        if not was_authorized(app.context):
            return refusal() or error_response(
                HTTPStatus.BAD_REQUEST, "BAD_REQUEST", "the request could not be decoded"
            )
        return on_unexpected(error)

    @app.exception_handler(Exception)
    def on_unexpected(error: Exception) -> Response:
        logger.exception("unhandled error")
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "something went wrong; quote the request id when reporting it",
            request_id=request_id(),
        )
