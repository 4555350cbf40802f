"""What the local runtime provisions, read back from the emulation, is what the catalog and models declare.

Infra is pinned to the same declarations by its own tests, so local and AWS cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from pynamodb.attributes import TTLAttribute

from functions.catalog import CATALOG, WATCHDOG_SCHEDULE_EXPRESSION
from functions.catalog.schedule import RATE_ANCHOR
from functions.data.schema import TABLE_MODELS
from functions.lifecycle.events import ScheduledInvocation, parse_invocation, scheduled_payload
from functions.settings import Settings, get_settings
from local.aws import ACCOUNT_ID
from local.provision import Provisioned, provision
from local.scheduler import context_attributes


def _function_arn(name: str) -> str:
    return f"arn:aws:lambda:eu-west-2:{ACCOUNT_ID}:function:{name}"


@pytest.fixture
def provisioned(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Provisioned]:
    # provision() sets ALERT_TOPIC_ARN for the functions; the test leaves the environment as it found it.
    monkeypatch.delenv("ALERT_TOPIC_ARN", raising=False)
    yield provision(_function_arn, f"arn:aws:iam::{ACCOUNT_ID}:role/scheduler")
    get_settings.cache_clear()


@pytest.fixture
def settings(provisioned: Provisioned) -> Settings:
    return get_settings()


def _schedule(settings: Settings, name: str) -> dict[str, Any]:
    definition: dict[str, Any] = boto3.client("scheduler").get_schedule(
        Name=settings.schedule_name(name), GroupName=settings.schedule_group
    )
    return definition


@pytest.mark.parametrize("job", CATALOG, ids=lambda job: job.name)
def test_given_a_catalog_job_then_its_local_schedule_has_the_catalogs_expression_zone_state_and_target(
    settings: Settings, job: Any
) -> None:
    definition = _schedule(settings, job.name)

    assert definition["ScheduleExpression"] == job.schedule_expression
    assert definition["ScheduleExpressionTimezone"] == job.timezone
    assert definition["State"] == "ENABLED"
    assert definition["Target"]["Arn"] == _function_arn(settings.function_name(job.name))
    placeholders = scheduled_payload(
        job.name, "<aws.scheduler.scheduled-time>", "<aws.scheduler.execution-id>"
    )
    assert json.loads(definition["Target"]["Input"]) == placeholders


@pytest.mark.parametrize("job", CATALOG, ids=lambda job: job.name)
def test_given_a_job_schedules_input_when_a_tick_fills_it_then_the_job_reads_that_tick(
    settings: Settings, job: Any
) -> None:
    definition = _schedule(settings, job.name)
    tick = job.schedule.next_after(RATE_ANCHOR)

    event = json.loads(context_attributes(definition["Target"]["Input"], definition, tick))

    invocation = parse_invocation(event)
    assert isinstance(invocation, ScheduledInvocation)
    assert (invocation.job, invocation.scheduled_for) == (job.name, tick)


def test_given_the_watchdog_then_its_schedule_has_the_catalogs_rate_and_tells_it_the_tick(
    settings: Settings,
) -> None:
    definition = _schedule(settings, "watchdog")
    tick = datetime(2026, 11, 28, 9, 5, tzinfo=UTC)

    event = json.loads(context_attributes(definition["Target"]["Input"], definition, tick))

    assert definition["ScheduleExpression"] == WATCHDOG_SCHEDULE_EXPRESSION
    assert definition["State"] == "ENABLED"
    assert definition["Target"]["Arn"] == _function_arn(settings.function_name("watchdog"))
    assert event == {"scheduled_time": "2026-11-28T09:05:00Z"}


def test_given_the_schedule_group_then_it_holds_one_schedule_per_job_and_the_watchdog_only(
    settings: Settings,
) -> None:
    pages = (
        boto3.client("scheduler").get_paginator("list_schedules").paginate(GroupName=settings.schedule_group)
    )

    names = {summary["Name"] for page in pages for summary in page["Schedules"]}

    assert names == {settings.schedule_name(job.name) for job in CATALOG} | {
        settings.schedule_name("watchdog")
    }


def test_given_the_provisioned_tables_then_there_is_exactly_one_per_model_table(
    provisioned: Provisioned,
) -> None:
    tables = set(boto3.client("dynamodb").list_tables()["TableNames"])

    assert tables == {model.Meta.table_name for model in TABLE_MODELS}


@pytest.mark.parametrize("model", TABLE_MODELS, ids=lambda model: model.Meta.table_name)
def test_given_a_model_then_its_local_table_has_the_models_keys_indexes_and_ttl(
    provisioned: Provisioned, model: Any
) -> None:
    client = boto3.client("dynamodb")
    declared = model._get_schema()

    table = client.describe_table(TableName=model.Meta.table_name)["Table"]
    ttl = client.describe_time_to_live(TableName=model.Meta.table_name)["TimeToLiveDescription"]

    assert _keys(table["KeySchema"]) == _keys(declared["key_schema"])
    assert {
        index["IndexName"]: _keys(index["KeySchema"]) for index in table.get("GlobalSecondaryIndexes", [])
    } == {index["index_name"]: _keys(index["key_schema"]) for index in declared["global_secondary_indexes"]}
    assert {
        index["IndexName"]: index["Projection"]["ProjectionType"]
        for index in table.get("GlobalSecondaryIndexes", [])
    } == {
        index["index_name"]: index["projection"]["ProjectionType"]
        for index in declared["global_secondary_indexes"]
    }
    ttl_attributes = [
        attribute.attr_name for attribute in model.get_attributes().values() if _is_ttl(attribute)
    ]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": ttl_attributes[0]}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def _keys(schema: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(key["AttributeName"], key["KeyType"]) for key in schema}


def _is_ttl(attribute: Any) -> bool:
    return isinstance(attribute, TTLAttribute)
