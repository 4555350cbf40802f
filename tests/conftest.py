"""Shared fixtures: AWS is always moto here, and time is a clock the test moves."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

# Set before any boto3 or pynamodb client exists, so nothing can reach a real AWS account.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-2",
        "AWS_REGION": "eu-west-2",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "DevSphereAutomationTest",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
for _variable in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")]:
    del os.environ[_variable]

from functions.clock import ManualClock  # noqa: E402


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))


@dataclass
class FakeLambdaContext:
    """A Lambda context whose remaining time follows the test's clock."""

    clock: ManualClock
    deadline: datetime
    function_name: str = "devsphere-automation-sequences"
    # Lambda gives every invocation its own request id; the failure recorder and adoption rely on it.
    aws_request_id: str = field(default_factory=lambda: f"req-{uuid.uuid4().hex[:12]}")
    log_group_name: str = "/aws/lambda/devsphere-automation-sequences"
    log_stream_name: str = "2026/11/28/[$LATEST]abc"
    memory_limit_in_mb: int = 512

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:eu-west-2:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - self.clock.now()).total_seconds() * 1000))


@pytest.fixture
def lambda_context(clock: ManualClock):
    def make(
        timeout_seconds: int = 300, function_name: str = "devsphere-automation-sequences"
    ) -> FakeLambdaContext:
        return FakeLambdaContext(
            clock=clock,
            deadline=clock.now() + timedelta(seconds=timeout_seconds),
            function_name=function_name,
            log_group_name=f"/aws/lambda/{function_name}",
        )

    return make


@pytest.fixture
def aws() -> Iterator[None]:
    """In-process moto with the run-log tables created from the pynamodb models."""
    from moto import mock_aws

    from functions.data.schema import create_tables

    with mock_aws(config={"lambda": {"use_docker": False}}):
        create_tables()
        yield


@pytest.fixture
def run_log(aws: None):
    from functions.data.run_log import RunLog

    return RunLog(retention_days=90)
