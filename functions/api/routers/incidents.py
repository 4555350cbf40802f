"""Incidents: every LATE / FAILING / TIMED_OUT episode of the jobs, newest first, with the alerts sent."""

from __future__ import annotations

import base64
import binascii
import re
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.cursor import InvalidCursorError
from functions.api.dependencies import get_run_log
from functions.api.models import IncidentPage, IncidentView, KnownJob
from functions.api.routers import documented
from functions.catalog import JOB_NAMES
from functions.data.run_log import RunLog
from functions.lifecycle.incident_views import incident_view

router = Router()

MAX_LIMIT = 100
DEFAULT_LIMIT = 25
MAX_CURSOR = 200
# A journal sort key: ISO time, "#", the incident's kind and id.
_SORT_KEY = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z#[A-Z_]+-[0-9a-f]{12}")


def _encode(sk: str) -> str:
    return base64.urlsafe_b64encode(sk.encode()).decode().rstrip("=")


def _decode(token: str) -> str:
    """The sort key to continue below; the cursor only narrows a listing the caller may read anyway."""
    try:
        sk = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, ValueError):
        raise InvalidCursorError("the cursor is malformed") from None
    if not _SORT_KEY.fullmatch(sk):
        raise InvalidCursorError("the cursor is malformed")
    return sk


@router.get(
    "/incidents",
    operation_id="listIncidents",
    summary="Incidents of every job, newest first",
    description=(
        "Each LATE, FAILING or TIMED_OUT episode of a job: when it started and ended, what opened it and the "
        "alerts sent (the recovery notice included). `open=true` lists only those still open."
    ),
    tags=["incidents"],
    responses=documented(HTTPStatus.OK, IncidentPage, "One page of incidents"),
)
def list_incidents(
    run_log: Annotated[RunLog, Depends(get_run_log)],
    job: Annotated[KnownJob | None, Query(description="Only this job")] = None,
    open: Annotated[bool, Query(description="Only incidents still open")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR, description="`next_cursor` of the previous page")
    ] = None,
) -> IncidentPage:
    page = run_log.list_incidents(
        [job] if job else JOB_NAMES, limit, before=_decode(cursor) if cursor else None, open_only=open
    )
    return IncidentPage(
        incidents=[IncidentView.model_validate(incident_view(incident)) for incident in page.incidents],
        next_cursor=_encode(page.before) if page.before else None,
    )
