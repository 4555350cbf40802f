"""Routes of the admin API, one router per resource."""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader
from pydantic import BaseModel

from functions.api.models import ErrorBody

_ERRORS = {
    HTTPStatus.BAD_REQUEST: "Malformed request (body not JSON or nested too deeply, invalid cursor)",
    HTTPStatus.UNAUTHORIZED: "Not signed in (`WWW-Authenticate: Bearer`)",
    HTTPStatus.FORBIDDEN: "Signed in, but not in the admin or ceo group",
    HTTPStatus.NOT_FOUND: "No such job, run or route",
    HTTPStatus.CONFLICT: "The job already has a run in flight (its id is in `run_id`)",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "The request body is larger than the API accepts",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "The body is not sent as application/json",
    HTTPStatus.UNPROCESSABLE_ENTITY: "Invalid input, or an Idempotency-Key reused for a different request",
    HTTPStatus.TOO_MANY_REQUESTS: "Throttled by API Gateway; try again shortly",
    HTTPStatus.INTERNAL_SERVER_ERROR: "Unexpected error (`request_id` identifies it in the logs)",
    HTTPStatus.BAD_GATEWAY: "The API function failed, or Lambda or EventBridge Scheduler refused the request",
    HTTPStatus.SERVICE_UNAVAILABLE: "The run log is unavailable",
    HTTPStatus.GATEWAY_TIMEOUT: "The API function did not answer in time",
}
# What any request can be answered with, whatever the route: API Gateway's own answers included.
_ALWAYS = (
    HTTPStatus.BAD_REQUEST,
    HTTPStatus.UNAUTHORIZED,
    HTTPStatus.FORBIDDEN,
    HTTPStatus.NOT_FOUND,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    HTTPStatus.UNPROCESSABLE_ENTITY,
    HTTPStatus.TOO_MANY_REQUESTS,
    HTTPStatus.INTERNAL_SERVER_ERROR,
    HTTPStatus.BAD_GATEWAY,
    HTTPStatus.SERVICE_UNAVAILABLE,
    HTTPStatus.GATEWAY_TIMEOUT,
)
# Routes that read a JSON body also refuse other media types.
WITH_BODY = (HTTPStatus.UNSUPPORTED_MEDIA_TYPE,)


def documented(
    status: HTTPStatus,
    model: type[BaseModel],
    description: str,
    *errors: HTTPStatus,
    headers: dict[str, OpenAPIResponseHeader] | None = None,
) -> dict[int, OpenAPIResponse]:
    """The OpenAPI responses of a route: its success (with its headers), and each error it can answer with."""
    success: OpenAPIResponse = {"description": description, "content": {"application/json": {"model": model}}}
    if headers:
        success["headers"] = headers
    responses: dict[int, OpenAPIResponse] = {status.value: success}
    for error in sorted({*_ALWAYS, *errors}):
        responses[error.value] = {
            "description": _ERRORS[error],
            "content": {"application/json": {"model": ErrorBody}},
        }
    responses[HTTPStatus.UNAUTHORIZED.value]["headers"] = {
        "WWW-Authenticate": {"description": "`Bearer`: send a Cognito ID token", "schema": {"type": "string"}}
    }
    return responses
