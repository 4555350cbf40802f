"""The API against moto: run-log tables, a schedule per job, and runs produced by the real runner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.api import dependencies
from functions.api.app import app
from functions.catalog import CATALOG, get_job
from functions.clock import ManualClock, isoformat
from functions.data.schedules import Schedules
from functions.lifecycle.context import RunContext
from functions.lifecycle.events import scheduled_payload
from functions.lifecycle.invoker import InvokeError, LambdaInvoker
from functions.lifecycle.runner import JobRunner, JobWork
from functions.settings import get_settings
from tests.unit.api.api_events import Reply, api_event, send


class RecordingInvoker(LambdaInvoker):
    """Accepts (or, told to, refuses) invocations and remembers them instead of calling Lambda."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.refuse_with: str | None = None

    def invoke_async(self, function: str, payload: dict[str, Any]) -> None:
        if self.refuse_with:
            raise InvokeError(self.refuse_with)
        self.calls.append((function, payload))


class Api:
    def __init__(self, context: Any) -> None:
        self.context = context

    def __call__(self, method: str, path: str, **options: Any) -> Reply:
        return send(api_event(method, path, **options), self.context)


@pytest.fixture
def schedules(aws: None) -> Schedules:
    """Every job's schedule as infra creates it (moto never fires them)."""
    settings = get_settings()
    client = boto3.client("scheduler")
    client.create_schedule_group(Name=settings.schedule_group)
    for job in CATALOG:
        client.create_schedule(
            Name=settings.schedule_name(job.name),
            GroupName=settings.schedule_group,
            ScheduleExpression=job.schedule_expression,
            ScheduleExpressionTimezone=job.timezone,
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={
                "Arn": f"arn:aws:lambda:eu-west-2:123456789012:function:{settings.function_name(job.name)}",
                "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
                "Input": json.dumps({"job": job.name, "trigger": "SCHEDULE"}),
                "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
            },
            State="ENABLED",
        )
    return Schedules(client)


@pytest.fixture
def invoker() -> RecordingInvoker:
    return RecordingInvoker()


@pytest.fixture
def api(run_log, clock, invoker, schedules, lambda_context) -> Iterator[Api]:
    app.dependency_overrides.update(
        {
            dependencies.get_run_log: lambda: run_log,
            dependencies.get_clock: lambda: clock,
            dependencies.get_invoker: lambda: invoker,
            dependencies.get_schedules: lambda: schedules,
        }
    )
    yield Api(lambda_context(function_name="devsphere-automation-api"))
    app.dependency_overrides.clear()


def flaky_work(plan: dict[str, str]) -> JobWork:
    """A job's work: per scheduled time, 'ok' (2 items), 'partial' (1 of 2 fails) or 'crash' (raises)."""

    def work(run: RunContext, cursor: str | None) -> str | None:
        kind = plan.get(isoformat(run.scheduled_for), "ok") if run.scheduled_for else "ok"
        if kind == "crash":
            raise ConnectionError("platform database refused the connection")
        for index in range(2):
            with run.item(f"item-{index}") as item:
                if kind == "partial" and index == 1:
                    item.fail("contact has no email address")
                item.count("emails_sent")
        return None

    return work


@pytest.fixture
def run_ticks(run_log, clock: ManualClock, lambda_context):
    """Drives the real runner: one scheduled tick per time, each run taking `duration`."""

    def drive(
        job_name: str,
        times: list[datetime],
        plan: dict[str, str] | None = None,
        duration: timedelta | None = None,
    ) -> list[str]:
        job = get_job(job_name)
        runner = JobRunner(job, flaky_work(plan or {}), run_log=run_log, clock=clock)
        original = runner.work
        step = duration or timedelta(seconds=30)

        def timed(run: RunContext, cursor: str | None) -> str | None:
            result = original(run, cursor)
            clock.advance(step)
            return result

        runner.work = timed
        run_ids = []
        for number, moment in enumerate(times):
            clock.set(moment)
            context = lambda_context(
                timeout_seconds=job.timeout_seconds, function_name=f"devsphere-automation-{job_name}"
            )
            outcome = runner.handle(scheduled_payload(job_name, isoformat(moment), f"exec-{number}"), context)
            run_ids.append(outcome["run_id"])
        return run_ids

    return drive
