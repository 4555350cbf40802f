"""Schedule access: the whole definition survives a pause, and SDK errors become domain errors."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from functions.data.errors import NotFoundError, ScheduleError
from functions.data.schedules import Schedules

NAME, GROUP = "devsphere-automation-sequences", "devsphere-automation"
DEFINITION = {
    "Arn": f"arn:aws:scheduler:eu-west-2:123456789012:schedule/{GROUP}/{NAME}",
    "Name": NAME,
    "GroupName": GROUP,
    "ScheduleExpression": "cron(0/15 * * * ? *)",
    "ScheduleExpressionTimezone": "Europe/London",
    "Description": "sequences every 15 minutes",
    "StartDate": datetime(2026, 1, 1, tzinfo=UTC),
    "FlexibleTimeWindow": {"Mode": "OFF"},
    "Target": {
        "Arn": "arn:aws:lambda:eu-west-2:123456789012:function:devsphere-automation-sequences",
        "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
        "Input": '{"job": "sequences"}',
        "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
        "DeadLetterConfig": {"Arn": "arn:aws:sqs:eu-west-2:123456789012:dlq"},
    },
    "ActionAfterCompletion": "NONE",
    "CreationDate": datetime(2026, 1, 1, tzinfo=UTC),
    "LastModificationDate": datetime(2026, 1, 1, tzinfo=UTC),
}


@pytest.fixture
def stubbed():
    client = boto3.client("scheduler", region_name="eu-west-2")
    with Stubber(client) as stubber:
        yield Schedules(client), stubber
        stubber.assert_no_pending_responses()


def test_given_an_enabled_schedule_when_disabling_then_update_carries_the_whole_definition(stubbed):
    schedules, stubber = stubbed
    stubber.add_response(
        "get_schedule", {**DEFINITION, "State": "ENABLED"}, {"Name": NAME, "GroupName": GROUP}
    )
    kept = {
        key: DEFINITION[key]
        for key in DEFINITION
        if key not in ("Arn", "CreationDate", "LastModificationDate")
    }
    stubber.add_response("update_schedule", {"ScheduleArn": DEFINITION["Arn"]}, {**kept, "State": "DISABLED"})

    schedules.set_enabled(NAME, GROUP, enabled=False)


def test_given_a_schedule_already_in_the_wanted_state_when_setting_it_then_nothing_is_updated(stubbed):
    schedules, stubber = stubbed
    stubber.add_response(
        "get_schedule", {**DEFINITION, "State": "DISABLED"}, {"Name": NAME, "GroupName": GROUP}
    )

    schedules.set_enabled(NAME, GROUP, enabled=False)


def test_given_a_missing_schedule_when_setting_it_then_not_found(stubbed):
    schedules, stubber = stubbed
    stubber.add_client_error("get_schedule", "ResourceNotFoundException", http_status_code=404)

    with pytest.raises(NotFoundError) as raised:
        schedules.set_enabled(NAME, GROUP, enabled=True)

    assert (raised.value.kind, raised.value.key) == ("schedule", NAME)


def test_given_scheduler_throttling_when_updating_then_a_schedule_error(stubbed):
    schedules, stubber = stubbed
    stubber.add_response(
        "get_schedule", {**DEFINITION, "State": "DISABLED"}, {"Name": NAME, "GroupName": GROUP}
    )
    stubber.add_client_error("update_schedule", "ThrottlingException", http_status_code=429)

    with pytest.raises(ScheduleError, match="ThrottlingException"):
        schedules.set_enabled(NAME, GROUP, enabled=True)


def test_given_no_client_when_created_then_none_is_built_until_first_use(monkeypatch):
    built = []
    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: built.append(args))

    Schedules()

    assert built == []
