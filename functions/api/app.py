"""The admin API Lambda: status, logs, run-now, pause and resume, for the admin and ceo groups only."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.logging import correlation_paths

from functions.api.auth import require_allowed_group
from functions.api.edges import bounded_json, with_security_headers
from functions.api.errors import AUDIT_WARNING, register_error_handlers
from functions.api.openapi import openapi_json
from functions.api.routers import deliveries, incidents, jobs, recovery, runs, schedules
from functions.observability import logger, tracer
from functions.settings import get_settings

app: APIGatewayRestResolver = APIGatewayRestResolver(
    # Never debug: debug mode answers an unhandled error with its traceback.
    debug=False,
    enable_validation=True,
    # Size and depth are checked before the body is parsed.
    json_body_deserializer=bounded_json,
    # A response that breaks its own model is our bug, not the caller's: 500, not 422.
    response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR,
    cors=CORSConfig(
        allow_origin=get_settings().portal_origin,
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        expose_headers=["Location", AUDIT_WARNING],
        max_age=600,
    ),
)
app.use(middlewares=[require_allowed_group])
register_error_handlers(app)
app.include_router(jobs.router)
app.include_router(runs.router)
app.include_router(schedules.router)
app.include_router(deliveries.router)
app.include_router(recovery.router)
app.include_router(incidents.router)


@cache
def _document() -> str:
    return openapi_json(app)


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(
        status_code=HTTPStatus.OK.value, content_type=content_types.APPLICATION_JSON, body=_document()
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return with_security_headers(app.resolve(event, context))
