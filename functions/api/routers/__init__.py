"""Routes of the admin API, one router per resource."""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from functions.api.models import ErrorBody

_ERRORS = {
    HTTPStatus.BAD_REQUEST: "Malformed request (body not JSON, cursor invalid)",
    HTTPStatus.UNAUTHORIZED: "Not signed in",
    HTTPStatus.FORBIDDEN: "Signed in, but not in the admin or ceo group",
    HTTPStatus.NOT_FOUND: "No such job or run",
    HTTPStatus.CONFLICT: "The job already has a run in flight (its id is in `run_id`)",
    HTTPStatus.UNPROCESSABLE_ENTITY: "Invalid input",
    HTTPStatus.INTERNAL_SERVER_ERROR: "Unexpected error (`request_id` identifies it in the logs)",
    HTTPStatus.BAD_GATEWAY: "Lambda or EventBridge Scheduler refused the request",
    HTTPStatus.SERVICE_UNAVAILABLE: "The run log is unavailable",
}
_ALWAYS = (
    HTTPStatus.UNAUTHORIZED,
    HTTPStatus.FORBIDDEN,
    HTTPStatus.UNPROCESSABLE_ENTITY,
    HTTPStatus.INTERNAL_SERVER_ERROR,
    HTTPStatus.SERVICE_UNAVAILABLE,
)


def documented(
    status: HTTPStatus, model: type[BaseModel], description: str, *errors: HTTPStatus
) -> dict[int, OpenAPIResponse]:
    """The OpenAPI responses of a route: its success, and each error it can answer with."""
    responses: dict[int, OpenAPIResponse] = {
        status.value: {"description": description, "content": {"application/json": {"model": model}}}
    }
    for error in sorted({*_ALWAYS, *errors}):
        responses[error.value] = {
            "description": _ERRORS[error],
            "content": {"application/json": {"model": ErrorBody}},
        }
    return responses
