"""The four jobs against moto: the platform table, a verified SES sender and the reports bucket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from functions.clock import ManualClock
from functions.data.run_log import RunLog
from functions.settings import get_settings
from tests.integration.email.links import provision_report_links
from tests.integration.jobs.job_harness import Platform, RecordingInvoker


@pytest.fixture
def platform(aws: None, clock: ManualClock, lambda_context: Callable[..., Any], run_log: RunLog) -> Platform:
    settings = get_settings()
    boto3.client("ses").verify_email_identity(EmailAddress=settings.sender_email)
    boto3.client("s3").create_bucket(
        Bucket=settings.reports_bucket, CreateBucketConfiguration={"LocationConstraint": settings.region}
    )
    provision_report_links()
    return Platform(clock, lambda_context, run_log)


@pytest.fixture
def invoker() -> RecordingInvoker:
    return RecordingInvoker()
