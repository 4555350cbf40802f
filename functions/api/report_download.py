"""`GET /reports/download?token=...`: the link in a report email, behind API Gateway without the authorizer.

A Lambda of its own, so a click from an email pays a small cold start: no API resolver is loaded. A valid
token is answered with a 302 to a presigned S3 URL of a few minutes; every other case with a JSON error in the
API's shape (`{"error": {"code", "message"}}`), never a trace. The token is the only credential, so the
answer to a bad one says no more than that.
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache
from http import HTTPStatus
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from functions.automations.report_links import ExpiredLinkError, InvalidLinkError, LinkSetupError, signer
from functions.clock import SYSTEM_CLOCK, Clock
from functions.observability import logger
from functions.settings import get_settings

# Long enough to start the download, short enough that a forwarded redirect is soon useless.
REDIRECT_LIFETIME = timedelta(minutes=5)


class ReportGoneError(Exception):
    """The link is valid but the report is no longer stored (kept only as long as the run history)."""


@cache
def _s3() -> Any:
    return boto3.client("s3")


def _presigned(key: str) -> str:
    bucket = get_settings().reports_bucket
    try:
        _s3().head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise ReportGoneError(key) from error
        raise
    url: str = _s3().generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket, "Key": key},
        ExpiresIn=int(REDIRECT_LIFETIME.total_seconds()),
    )
    return url


def _error(status: HTTPStatus, code: str, message: str) -> dict[str, Any]:
    return {
        "statusCode": status.value,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
        "body": json.dumps({"error": {"code": code, "message": message}}),
    }


def download(event: dict[str, Any], clock: Clock) -> dict[str, Any]:
    token = (event.get("queryStringParameters") or {}).get("token") or ""
    try:
        url = _presigned(signer().verify(token, clock.now()))
    except ExpiredLinkError as error:
        return _error(
            HTTPStatus.GONE, "LINK_EXPIRED", f"{error}; the next scheduled report brings a new link"
        )
    except InvalidLinkError as error:
        return _error(HTTPStatus.FORBIDDEN, "INVALID_LINK", str(error))
    except ReportGoneError:
        return _error(HTTPStatus.NOT_FOUND, "REPORT_GONE", "this report is no longer stored")
    except (LinkSetupError, ClientError, BotoCoreError):
        logger.exception("report download failed")
        return _error(
            HTTPStatus.SERVICE_UNAVAILABLE, "DOWNLOAD_UNAVAILABLE", "the report cannot be read now; try again"
        )
    return {
        "statusCode": HTTPStatus.FOUND.value,
        "headers": {"Location": url, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        "body": "",
    }


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return download(event, SYSTEM_CLOCK)
    except Exception:
        logger.exception("unexpected error in report download")
        return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "something went wrong; try again")
