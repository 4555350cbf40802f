"""What a deploy does to a running service: pauses survive, the account's API logging survives a stack's
deletion, logs live as long as runs, and every role holds only what its code uses."""

from __future__ import annotations

import json
from typing import Any

from functions.catalog import CATALOG
from infra.constructs.jobs import REPORT_WRITERS, REPORTS_KEY_PREFIX


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def test_given_every_schedule_when_deployed_then_it_is_enabled_so_a_pause_lives_in_the_state_table(
    synthesized,
):
    schedules = synthesized.of_type("AWS::Scheduler::Schedule")

    assert len(schedules) == len(CATALOG) + 1  # and the watchdog's
    # A deploy rewrites each schedule; were pause a schedule state, every deploy would resume paused jobs.
    # The runner reads the pause from the job-state table instead, which no deploy touches.
    assert {body["Properties"]["State"] for body in schedules.values()} == {"ENABLED"}


def test_given_the_default_stage_when_its_stack_is_deleted_then_the_account_logging_role_stays(offline_synth):
    ((_, account),) = offline_synth.of_type("AWS::ApiGateway::Account").items()
    role_id = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    role = offline_synth.template["Resources"][role_id]

    # The dev stage deletes its data with the stack, but not what every API of the account logs through.
    assert {body["DeletionPolicy"] for body in offline_synth.of_type("AWS::DynamoDB::Table").values()} == {
        "Delete"
    }
    for resource in (account, role):
        assert resource["DeletionPolicy"] == "Retain"
        assert resource["UpdateReplacePolicy"] == "Retain"


def test_given_every_log_group_when_synthesized_then_it_keeps_logs_as_long_as_runs_are_kept(
    synthesized, offline_synth
):
    for template, days in (
        (synthesized.resources, synthesized.config.log_retention_days),
        (offline_synth.template["Resources"], 90),
    ):
        groups = [body for body in template.values() if body["Type"] == "AWS::Logs::LogGroup"]
        assert len(groups) >= 8  # one per function and the API's access log
        assert {body["Properties"].get("RetentionInDays") for body in groups} == {days}
    function = next(iter(synthesized.of_type("AWS::Lambda::Function").values()))
    assert function["Properties"]["Environment"]["Variables"]["RUN_RETENTION_DAYS"] == str(
        synthesized.config.retention_days
    )


def test_given_every_role_when_it_writes_to_dynamodb_then_it_may_not_delete_or_batch_write(synthesized):
    dynamodb = [
        action
        for _, statement in synthesized.statements()
        for action in _actions(statement)
        if action.startswith("dynamodb:")
    ]

    assert "dynamodb:PutItem" in dynamodb and "dynamodb:UpdateItem" in dynamodb
    assert not {"dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:*"} & set(dynamodb)


def test_given_the_report_writer_when_it_stores_a_report_then_only_under_the_reports_prefix(synthesized):
    reports_id = next(
        logical_id
        for logical_id, body in synthesized.of_type("AWS::S3::Bucket").items()
        if "Reports" in logical_id
    )
    s3_statements = [
        statement
        for _, statement in synthesized.statements()
        if any(action.startswith("s3:") for action in _actions(statement))
        and reports_id in json.dumps(statement["Resource"])
    ]

    # The report job only writes (links are signed, not presigned by the job); the download function reads.
    assert s3_statements and REPORT_WRITERS
    assert sorted(sorted(_actions(statement)) for statement in s3_statements) == [
        ["s3:GetObject"],
        ["s3:PutObject"],
    ]
    for statement in s3_statements:
        (resource,) = [statement["Resource"]]
        assert resource["Fn::Join"][1] == [{"Fn::GetAtt": [reports_id, "Arn"]}, f"/{REPORTS_KEY_PREFIX}*"]


def test_given_the_report_storage_when_it_stores_then_every_key_is_under_the_granted_prefix(aws):
    import boto3

    from functions.automations.report_storage import ReportStorage
    from functions.settings import get_settings
    from tests.integration.email.links import provision_report_links

    settings = get_settings()
    boto3.client("s3").create_bucket(
        Bucket=settings.reports_bucket, CreateBucketConfiguration={"LocationConstraint": settings.region}
    )
    provision_report_links()

    ReportStorage().store("weekly", "2026-11", "pipeline", "a,b\n", "<p>report</p>")

    written = [
        item["Key"] for item in boto3.client("s3").list_objects_v2(Bucket=settings.reports_bucket)["Contents"]
    ]
    assert len(written) == 2
    assert all(key.startswith(REPORTS_KEY_PREFIX) for key in written)


def test_given_the_scheduler_role_when_assumed_then_only_by_this_accounts_schedule_group(synthesized):
    group = synthesized.config.settings.schedule_group
    roles = [
        body["Properties"]
        for body in synthesized.of_type("AWS::IAM::Role").values()
        if any(
            statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
            for statement in body["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        )
    ]

    ((statement,),) = [role["AssumeRolePolicyDocument"]["Statement"] for role in roles]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source_arn = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert source_arn["Fn::Join"][1][-1].endswith(f":schedule-group/{group}")


def test_given_every_lambda_permission_when_a_service_invokes_then_it_names_its_source(synthesized):
    permissions = synthesized.of_type("AWS::Lambda::Permission").values()

    assert permissions
    for permission in permissions:
        properties = permission["Properties"]
        assert properties["Principal"].endswith(".amazonaws.com")
        assert "SourceArn" in properties or "SourceAccount" in properties, properties
