"""Each catalog job is a function and a schedule as the catalog says; a crash always reaches the recorder."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.catalog import CATALOG, WATCHDOG_SCHEDULE_EXPRESSION, WATCHDOG_TIMEOUT_SECONDS
from functions.catalog.schedule import RATE_ANCHOR
from functions.lifecycle.events import scheduled_payload
from functions.observability import METRICS_NAMESPACE, SERVICE
from infra.constructs.jobs import REPORT_WRITERS, rate_start

SYNTH_TIME = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
TICK = ("<aws.scheduler.scheduled-time>", "<aws.scheduler.execution-id>")


def _resources_of(statements: list[dict[str, Any]], action: str) -> list[Any]:
    found = []
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if action in actions:
            found.extend(
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
    return found


@pytest.mark.parametrize("job", CATALOG, ids=lambda job: job.name)
def test_given_a_catalog_job_when_synthesized_then_its_function_follows_the_catalog(synthesized, job):
    _, function = synthesized.function(job.name)

    assert function["Handler"] == job.handler
    assert function["Timeout"] == job.timeout_seconds
    assert function["MemorySize"] == job.memory_mb
    assert function["Architectures"] == ["arm64"]
    assert function["Runtime"] == "python3.13"
    variables = function["Environment"]["Variables"]
    assert variables["RESOURCE_PREFIX"] == synthesized.config.prefix
    assert variables["POWERTOOLS_SERVICE_NAME"] == SERVICE
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == METRICS_NAMESPACE == "DevSphereAutomation"
    assert variables["RUN_RETENTION_DAYS"] == str(synthesized.config.retention_days)
    assert variables["SENDER_EMAIL"] == synthesized.config.sender_email
    assert ("REPORTS_BUCKET" in variables) == (job.name in REPORT_WRITERS)


def test_given_the_catalog_when_synthesized_then_the_schedules_are_exactly_the_jobs_and_the_watchdog(
    synthesized,
):
    settings = synthesized.config.settings
    schedules = synthesized.of_type("AWS::Scheduler::Schedule").values()

    assert sorted(body["Properties"]["Name"] for body in schedules) == sorted(
        settings.schedule_name(name) for name in [*(job.name for job in CATALOG), "watchdog"]
    )
    (group_id,) = synthesized.of_type("AWS::Scheduler::ScheduleGroup")
    assert synthesized.resources[group_id]["Properties"]["Name"] == settings.schedule_group
    for body in schedules:
        assert body["Properties"]["GroupName"] == settings.schedule_group
        assert group_id in body["DependsOn"], "a schedule could be created before its group"


@pytest.mark.parametrize("job", CATALOG, ids=lambda job: job.name)
def test_given_a_catalog_job_when_synthesized_then_its_schedule_fires_it_as_the_catalog_says(
    synthesized, job
):
    function_id, _ = synthesized.function(job.name)
    _, schedule = synthesized.named(
        "AWS::Scheduler::Schedule", "Name", synthesized.config.settings.schedule_name(job.name)
    )
    target = schedule["Target"]

    assert schedule["ScheduleExpression"] == job.schedule_expression
    assert schedule["ScheduleExpressionTimezone"] == job.timezone
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert json.loads(target["Input"]) == scheduled_payload(job.name, *TICK)
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    queue = synthesized.resources[target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert "StartDate" not in schedule  # cron ticks need no anchor


def test_given_every_queue_when_synthesized_then_it_is_encrypted_and_refuses_plain_http(synthesized):
    policies = [body["Properties"] for body in synthesized.of_type("AWS::SQS::QueuePolicy").values()]

    for logical_id, body in synthesized.of_type("AWS::SQS::Queue").items():
        assert body["Properties"]["SqsManagedSseEnabled"] is True
        assert any(
            {"Ref": logical_id} in policy["Queues"]
            and any(
                statement["Effect"] == "Deny"
                and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
                for statement in policy["PolicyDocument"]["Statement"]
            )
            for policy in policies
        ), logical_id


@pytest.mark.parametrize("job", CATALOG, ids=lambda job: job.name)
def test_given_a_job_function_when_an_async_invocation_fails_then_the_failure_recorder_gets_it(
    synthesized, job
):
    function_id, _ = synthesized.function(job.name)
    recorder_id, recorder = synthesized.function("failure-recorder")
    (config,) = [
        body["Properties"]
        for body in synthesized.of_type("AWS::Lambda::EventInvokeConfig").values()
        if body["Properties"]["FunctionName"] == {"Ref": function_id}
    ]

    # A retried tick would end quietly as a duplicate and hide the failure: no retries.
    assert config["MaximumRetryAttempts"] == 0
    assert config["MaximumEventAgeInSeconds"] == 3600
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [recorder_id, "Arn"]}
    assert recorder["Handler"] == "functions.monitors.failure_recorder.handler"


@pytest.mark.parametrize("job", CATALOG, ids=lambda job: job.name)
def test_given_a_job_role_when_it_invokes_lambda_then_only_itself_and_the_recorder(synthesized, job):
    _, function = synthesized.function(job.name)
    recorder_id, _ = synthesized.function("failure-recorder")
    statements = synthesized.role_statements(function)

    invoked = _resources_of(statements, "lambda:InvokeFunction")

    own = [
        r
        for r in invoked
        if "Fn::Join" in r and r["Fn::Join"][1][-1].endswith(f":function:{function['FunctionName']}")
    ]
    to_recorder = [r for r in invoked if recorder_id in json.dumps(r)]
    assert len(own) == 1
    assert len(own) + len(to_recorder) == len(invoked)
    assert _resources_of(statements, "ses:SendEmail")
    assert bool(_resources_of(statements, "s3:PutObject")) == (job.name in REPORT_WRITERS)


def test_given_the_failure_recorder_when_it_redrives_then_it_may_invoke_just_the_job_functions(synthesized):
    # A tick whose invocation failed before its work began is invoked again by the recorder: without this
    # statement the re-drive is refused in AWS (moto does not check IAM) and the tick is lost.
    _, recorder = synthesized.function("failure-recorder")

    invoked = _resources_of(synthesized.role_statements(recorder), "lambda:InvokeFunction")

    names = sorted(r["Fn::Join"][1][-1].rsplit(":function:", 1)[1] for r in invoked if "Fn::Join" in r)
    jobs = sorted(synthesized.function(job.name)[1]["FunctionName"] for job in CATALOG)
    assert names == jobs
    assert len(invoked) == len(jobs)


def test_given_the_watchdog_when_synthesized_then_it_runs_on_its_schedule_and_may_alert(synthesized):
    function_id, watchdog = synthesized.function("watchdog")
    _, schedule = synthesized.named(
        "AWS::Scheduler::Schedule", "Name", synthesized.config.settings.schedule_name("watchdog")
    )
    (topic_id,) = synthesized.of_type("AWS::SNS::Topic")

    assert watchdog["Handler"] == "functions.monitors.watchdog.handler"
    assert watchdog["Timeout"] == WATCHDOG_TIMEOUT_SECONDS
    assert watchdog["Environment"]["Variables"]["ALERT_TOPIC_ARN"] == {"Ref": topic_id}
    assert schedule["ScheduleExpression"] == WATCHDOG_SCHEDULE_EXPRESSION
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert {"Ref": topic_id} in _resources_of(synthesized.role_statements(watchdog), "sns:Publish")


def test_given_a_rate_job_when_deployed_then_its_start_is_on_the_anchor_grid_and_in_the_future():
    job = replace(CATALOG[0], schedule_expression="rate(7 minutes)")

    start = rate_start(job, SYNTH_TIME)

    assert start is not None
    assert start > SYNTH_TIME + timedelta(minutes=5)
    assert (start - RATE_ANCHOR) % timedelta(minutes=7) == timedelta(0)
    assert rate_start(CATALOG[0], SYNTH_TIME) is None
