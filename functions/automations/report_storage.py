"""Stores a built report in S3 under a dated key and hands out links to it that work for LINK_LIFETIME.

Keys are reports/<report id>/<period>/<report type>.csv and .html, so a retry of the same period overwrites
rather than duplicates. The links are signed download links (functions.automations.report_links), not
presigned S3 URLs: one presigned with a Lambda role's temporary credentials dies with that role session
(hours), long before the 7 days the email promises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from functions.automations.report_links import KEY_PREFIX, LINK_LIFETIME, LinkSetupError, link_to
from functions.clock import SYSTEM_CLOCK, Clock
from functions.settings import get_settings


class ReportStorageError(Exception):
    """S3 refused or failed a write, or links could not be made; the next attempt builds the report again."""


@dataclass(frozen=True)
class StoredReport:
    csv_key: str
    html_key: str
    csv_link: str
    html_link: str


class ReportStorage:
    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self._client: Any = None
        self._clock = clock

    def _s3(self) -> Any:
        if self._client is None:
            self._client = boto3.client("s3")
        return self._client

    def store(self, report_id: str, period: str, name: str, csv_text: str, html_text: str) -> StoredReport:
        bucket = get_settings().reports_bucket
        prefix = f"{KEY_PREFIX}{report_id}/{period}/{name}"
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
            expires_at = self._clock.now() + LINK_LIFETIME
            links = {kind: link_to(key, expires_at) for kind, key in keys.items()}
        except (ClientError, BotoCoreError, LinkSetupError) as error:
            raise ReportStorageError(f"storing {prefix} in {bucket} failed: {error}") from error
        return StoredReport(keys["csv"], keys["html"], links["csv"], links["html"])
