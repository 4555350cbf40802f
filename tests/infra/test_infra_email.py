"""Email works from day one, feedback stops sequences, and report links live as long as the email says."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App

from functions.automations.email_feedback import FEEDBACK_DETAIL_TYPES
from functions.automations.report_links import DOWNLOAD_PATH
from functions.catalog import CATALOG
from infra.config import ConfigError, StageConfig
from infra.constructs.jobs import REPORT_WRITERS

SES_ACTIONS = {"ses:SendEmail", "ses:SendRawEmail"}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _granting(statements: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [statement for statement in statements if action in _listed(statement["Action"])]


def _arn_text(resource: Any) -> str:
    """An ARN built with Fn::Join, as text with the pseudo parameters named: arn:<Partition>:ses:..."""
    if isinstance(resource, str):
        return resource
    parts = resource["Fn::Join"][1]
    return "".join(part if isinstance(part, str) else f"<{part.get('Ref', part)}>" for part in parts)


def _configuration_set(synthesized) -> tuple[str, dict[str, Any]]:
    return synthesized.named("AWS::SES::ConfigurationSet", "Name", synthesized.config.name("email"))


@pytest.mark.parametrize("job", CATALOG, ids=lambda job: job.name)
def test_given_a_job_when_it_sends_then_it_may_send_as_the_sender_only_to_anyone_through_the_set(
    synthesized, job
):
    _, function = synthesized.function(job.name)
    statements = synthesized.role_statements(function)

    sending = [s for s in statements if SES_ACTIONS & set(_listed(s["Action"]))]
    (statement,) = sending
    assert set(_listed(statement["Action"])) == SES_ACTIONS
    assert statement["Effect"] == "Allow"
    # The sandbox authorizes every recipient as an identity: a sender-only resource would be refused.
    assert sorted(_arn_text(resource) for resource in statement["Resource"]) == [
        "arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:configuration-set/"
        + synthesized.config.name("email"),
        "arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*",
    ]
    # ...and the condition keeps identity/* from meaning "as anyone".
    assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": synthesized.config.sender_email}}
    assert function["Environment"]["Variables"]["SES_CONFIGURATION_SET"] == synthesized.config.name("email")


def test_given_the_sender_when_synthesized_then_its_identity_exists_and_uses_the_configuration_set(
    synthesized,
):
    set_id, configuration_set = _configuration_set(synthesized)
    (identity,) = [body["Properties"] for body in synthesized.of_type("AWS::SES::EmailIdentity").values()]

    assert identity["EmailIdentity"] == synthesized.config.sender_email == "automation@devsphere.example"
    assert identity["ConfigurationSetAttributes"] == {"ConfigurationSetName": {"Ref": set_id}}
    assert configuration_set["SendingOptions"] == {"SendingEnabled": True}
    assert set(configuration_set["SuppressionOptions"]["SuppressedReasons"]) == {"BOUNCE", "COMPLAINT"}


def test_given_bounces_and_complaints_when_ses_reports_them_then_they_reach_the_feedback_function(
    synthesized,
):
    set_id, _ = _configuration_set(synthesized)
    (destination,) = [
        body["Properties"]
        for body in synthesized.of_type("AWS::SES::ConfigurationSetEventDestination").values()
    ]
    feedback_id, feedback = synthesized.function("email-feedback")
    (rule_id, rule) = synthesized.named(
        "AWS::Events::Rule", "Name", synthesized.config.name("email-feedback")
    )

    assert destination["ConfigurationSetName"] == {"Ref": set_id}
    assert set(destination["EventDestination"]["MatchingEventTypes"]) == {"bounce", "complaint"}
    assert _arn_text(destination["EventDestination"]["EventBridgeDestination"]["EventBusArn"]).endswith(
        ":event-bus/default"
    )
    pattern = rule["EventPattern"]
    assert pattern["source"] == ["aws.ses"]
    assert pattern["detail-type"] == list(FEEDBACK_DETAIL_TYPES)
    # Other applications' SES events in the account are not ours to act on.
    assert pattern["detail"] == {
        "mail": {"tags": {"ses:configuration-set": [synthesized.config.name("email")]}}
    }
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [feedback_id, "Arn"]}
    # An event neither handed over nor processed after the retries is kept, in one alarmed queue.
    (queue_id,) = [
        logical_id
        for logical_id, body in synthesized.of_type("AWS::SQS::Queue").items()
        if body["Properties"]["QueueName"] == synthesized.config.name("email-feedback-dlq")
    ]
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    (invoke_config,) = [
        body["Properties"]
        for body in synthesized.of_type("AWS::Lambda::EventInvokeConfig").values()
        if body["Properties"]["FunctionName"] == {"Ref": feedback_id}
    ]
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    (permission,) = [
        body["Properties"]
        for body in synthesized.of_type("AWS::Lambda::Permission").values()
        if body["Properties"]["FunctionName"] == {"Fn::GetAtt": [feedback_id, "Arn"]}
    ]
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": [rule_id, "Arn"]}
    assert feedback["Handler"] == "functions.monitors.email_feedback.handler"


def test_given_the_feedback_function_when_synthesized_then_it_writes_platform_data_and_sends_nothing(
    synthesized,
):
    _, feedback = synthesized.function("email-feedback")
    statements = synthesized.role_statements(feedback)
    (platform_id,) = [
        logical_id
        for logical_id, body in synthesized.of_type("AWS::DynamoDB::Table").items()
        if body["Properties"]["TableName"] == synthesized.config.name("platform")
    ]

    assert not [s for s in statements if any(a.startswith("ses:") for a in _listed(s["Action"]))]
    (update,) = _granting(statements, "dynamodb:UpdateItem")
    assert update["Resource"] == {"Fn::GetAtt": [platform_id, "Arn"]}


def _download_method(synthesized) -> tuple[str, dict[str, Any]]:
    resources = synthesized.of_type("AWS::ApiGateway::Resource")
    (download_id,) = [
        logical_id
        for logical_id, body in resources.items()
        if body["Properties"]["PathPart"] == DOWNLOAD_PATH.rsplit("/", 1)[1]
    ]
    (parent,) = [resources[download_id]["Properties"]["ParentId"]["Ref"]]
    assert resources[parent]["Properties"]["PathPart"] == "reports"
    (method,) = [
        (logical_id, body["Properties"])
        for logical_id, body in synthesized.of_type("AWS::ApiGateway::Method").items()
        if body["Properties"]["ResourceId"] == {"Ref": download_id}
        and body["Properties"]["HttpMethod"] == "GET"
    ]
    return method


def test_given_the_api_when_synthesized_then_only_the_download_method_goes_without_the_authorizer(
    synthesized,
):
    download_id, download = _download_method(synthesized)
    function_id, _ = synthesized.function("report-download")

    unauthenticated = [
        logical_id
        for logical_id, body in synthesized.of_type("AWS::ApiGateway::Method").items()
        if body["Properties"]["HttpMethod"] != "OPTIONS"
        and body["Properties"]["AuthorizationType"] != "COGNITO_USER_POOLS"
    ]
    assert unauthenticated == [download_id]
    assert download["AuthorizationType"] == "NONE"
    assert download["RequestParameters"] == {"method.request.querystring.token": True}
    uri = json.dumps(download["Integration"]["Uri"])
    assert function_id in uri


def test_given_the_download_function_when_synthesized_then_it_reads_the_key_and_report_files_only(
    synthesized,
):
    _, download = synthesized.function("report-download")
    statements = synthesized.role_statements(download)
    (secret_id, _) = synthesized.named(
        "AWS::SecretsManager::Secret", "Name", synthesized.config.name("report-links")
    )

    (read_secret,) = _granting(statements, "secretsmanager:GetSecretValue")
    assert read_secret["Resource"] == {"Ref": secret_id}
    (read_object,) = _granting(statements, "s3:GetObject")
    assert _arn_text(read_object["Resource"]).endswith("/reports/*")
    assert not _granting(statements, "s3:PutObject")
    assert not [
        s for s in statements if any(a.startswith(("dynamodb:", "ses:")) for a in _listed(s["Action"]))
    ]
    assert download["Environment"]["Variables"]["REPORT_LINK_SECRET"] == synthesized.config.name(
        "report-links"
    )


@pytest.mark.parametrize("job", sorted(REPORT_WRITERS))
def test_given_a_report_job_when_it_links_reports_then_it_signs_with_the_key_and_reads_the_download_url(
    synthesized, job
):
    _, function = synthesized.function(job)
    statements = synthesized.role_statements(function)
    variables = function["Environment"]["Variables"]
    (secret_id, _) = synthesized.named("AWS::SecretsManager::Secret", "Name", variables["REPORT_LINK_SECRET"])
    (_, parameter) = synthesized.named(
        "AWS::SSM::Parameter", "Name", variables["REPORT_DOWNLOAD_URL_PARAMETER"]
    )
    (stage_id,) = synthesized.of_type("AWS::ApiGateway::Stage")

    (read_secret,) = _granting(statements, "secretsmanager:GetSecretValue")
    assert read_secret["Resource"] == {"Ref": secret_id}
    (read_parameter,) = _granting(statements, "ssm:GetParameter")
    assert _arn_text(read_parameter["Resource"]).endswith(
        ":parameter" + variables["REPORT_DOWNLOAD_URL_PARAMETER"]
    )
    url = _arn_text(parameter["Value"])
    assert url.startswith("https://") and url.endswith(f"<{stage_id}>{DOWNLOAD_PATH}")


def test_given_other_jobs_when_synthesized_then_they_cannot_sign_report_links(synthesized):
    for job in CATALOG:
        if job.name in REPORT_WRITERS:
            continue
        _, function = synthesized.function(job.name)
        assert not _granting(synthesized.role_statements(function), "secretsmanager:GetSecretValue")


def test_given_prod_without_a_sender_when_configured_then_synthesis_stops_with_what_to_pass():
    with pytest.raises(ConfigError, match="senderEmail"):
        StageConfig.from_context(App(context={"stage": "prod"}).node)


def test_given_a_dev_stage_without_a_sender_when_configured_then_the_placeholder_is_kept():
    config = StageConfig.from_context(App(context={"stage": "dev"}).node)

    assert config.sender_email == "automation@devsphere.example"
