"""Stores a built report in S3 under a dated key and hands out presigned links to it.

Keys are reports/<report id>/<period>/<report type>.csv and .html, so a retry of the same period overwrites
rather than duplicates. A presigned link lives LINK_LIFETIME at most; when it is signed with a Lambda role's
temporary credentials it also ends when that role session does (hours), which is as long as AWS allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from functions.settings import get_settings

LINK_LIFETIME = timedelta(days=7)  # the longest a SigV4 presigned URL may live


class ReportStorageError(Exception):
    """S3 refused or failed a write; the report is built again by the next attempt."""


@dataclass(frozen=True)
class StoredReport:
    csv_key: str
    html_key: str
    csv_link: str
    html_link: str


class ReportStorage:
    def __init__(self) -> None:
        self._client: Any = None

    def _s3(self) -> Any:
        if self._client is None:
            self._client = boto3.client("s3")
        return self._client

    def store(self, report_id: str, period: str, name: str, csv_text: str, html_text: str) -> StoredReport:
        bucket = get_settings().reports_bucket
        prefix = f"reports/{report_id}/{period}/{name}"
        keys = {"csv": f"{prefix}.csv", "html": f"{prefix}.html"}
        try:
            self._s3().put_object(
                Bucket=bucket, Key=keys["csv"], Body=csv_text.encode(), ContentType="text/csv; charset=utf-8"
            )
            self._s3().put_object(
                Bucket=bucket,
                Key=keys["html"],
                Body=html_text.encode(),
                ContentType="text/html; charset=utf-8",
            )
            links = {
                kind: self._s3().generate_presigned_url(
                    "get_object",
                    Params={"Bucket": bucket, "Key": key},
                    ExpiresIn=int(LINK_LIFETIME.total_seconds()),
                )
                for kind, key in keys.items()
            }
        except (ClientError, BotoCoreError) as error:
            raise ReportStorageError(f"storing {prefix} in {bucket} failed: {error}") from error
        return StoredReport(keys["csv"], keys["html"], links["csv"], links["html"])
