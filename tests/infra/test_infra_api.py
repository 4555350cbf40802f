"""Only signed-in admin and ceo users reach the API; the portal is private behind CloudFront and finds it."""

from __future__ import annotations

import json
import re
from typing import Any

from functions.api.auth import ALLOWED_GROUPS
from functions.automations.report_links import DOWNLOAD_PATH
from functions.catalog import JOB_NAMES
from infra.constructs.api import ROUTES

# Opened from emails, with its own credential (a signed token): tests/infra/test_infra_email.py pins it.
PUBLIC = {(DOWNLOAD_PATH, "GET")}


def _path_of(synthesized, resource_id: Any) -> str:
    """The URL path of an API Gateway resource, rebuilt from its PathPart chain."""
    if "Fn::GetAtt" in resource_id:
        return ""
    properties = synthesized.resources[resource_id["Ref"]]["Properties"]
    return f"{_path_of(synthesized, properties['ParentId'])}/{properties['PathPart']}"


def _methods(synthesized) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (
            _path_of(synthesized, body["Properties"]["ResourceId"]) or "/",
            body["Properties"]["HttpMethod"],
            body["Properties"],
        )
        for body in synthesized.of_type("AWS::ApiGateway::Method").values()
    ]


def test_given_the_api_when_synthesized_then_every_method_but_preflight_needs_the_cognito_authorizer(
    synthesized,
):
    (authorizer_id,) = synthesized.of_type("AWS::ApiGateway::Authorizer")
    (validator_id,) = synthesized.of_type("AWS::ApiGateway::RequestValidator")
    methods = _methods(synthesized)

    assert any(method == "OPTIONS" for _, method, _ in methods)
    for path, method, properties in methods:
        if method == "OPTIONS" or (path, method) in PUBLIC:
            assert properties["AuthorizationType"] == "NONE", path
            continue
        assert properties["AuthorizationType"] == "COGNITO_USER_POOLS", (path, method)
        assert properties["AuthorizerId"] == {"Ref": authorizer_id}, (path, method)
        assert properties["RequestValidatorId"] == {"Ref": validator_id}, (path, method)
    validator = synthesized.resources[validator_id]["Properties"]
    assert validator["ValidateRequestBody"] is True and validator["ValidateRequestParameters"] is True


def test_given_the_api_lambda_routes_when_synthesized_then_the_gateway_serves_exactly_them(synthesized):
    from functions.api.app import app
    from functions.api.openapi import openapi_json

    documented = {
        (path, method.upper())
        for path, item in json.loads(openapi_json(app))["paths"].items()
        for method in item
    }
    routed = {(path, method) for path, method, _ in _methods(synthesized) if method != "OPTIONS"} - PUBLIC

    assert routed == {(path, method) for path, methods in ROUTES.items() for method in methods}
    assert routed - {("/openapi.json", "GET")} == documented


def test_given_the_portal_when_the_browser_calls_the_api_then_cors_allows_only_the_portal_origin(synthesized):
    (distribution_id,) = synthesized.of_type("AWS::CloudFront::Distribution")
    origin = {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}]]}
    _, api = synthesized.named(
        "AWS::Lambda::Function", "FunctionName", synthesized.config.settings.function_name("api")
    )

    assert api["Environment"]["Variables"]["PORTAL_ORIGIN"] == origin
    for _, method, properties in _methods(synthesized):
        if method == "OPTIONS":
            headers = properties["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
            allowed = headers["method.response.header.Access-Control-Allow-Origin"]
            assert allowed == {
                "Fn::Join": ["", ["'https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}, "'"]]
            }
    for body in synthesized.of_type("AWS::ApiGateway::GatewayResponse").values():
        properties = body["Properties"]
        assert "Access-Control-Allow-Origin" in json.dumps(properties["ResponseParameters"])
        assert json.loads(
            re.sub(r'"?\$context\.[\w.]+"?', '"x"', properties["ResponseTemplates"]["application/json"])
        )["error"]["code"]


def test_given_the_user_pool_when_synthesized_then_only_admins_create_users_with_strong_passwords(
    synthesized,
):
    ((pool_id, pool),) = synthesized.of_type("AWS::Cognito::UserPool").items()
    properties = pool["Properties"]
    groups = {
        body["Properties"]["GroupName"]
        for body in synthesized.of_type("AWS::Cognito::UserPoolGroup").values()
    }
    ((_, client),) = synthesized.of_type("AWS::Cognito::UserPoolClient").items()

    assert properties["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    policy = properties["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(
        policy[key] for key in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols")
    )
    assert groups == set(ALLOWED_GROUPS) == {"admin", "ceo"}
    assert client["Properties"]["UserPoolId"] == {"Ref": pool_id}
    assert client["Properties"]["GenerateSecret"] is False


def test_given_the_api_role_when_synthesized_then_it_starts_only_the_jobs_and_edits_only_their_schedules(
    synthesized,
):
    settings = synthesized.config.settings
    _, api = synthesized.named("AWS::Lambda::Function", "FunctionName", settings.function_name("api"))
    role_id = api["Role"]["Fn::GetAtt"][0]
    statements = [
        statement
        for body in synthesized.of_type("AWS::IAM::Policy").values()
        if {"Ref": role_id} in body["Properties"]["Roles"]
        for statement in body["Properties"]["PolicyDocument"]["Statement"]
    ]
    by_action: dict[str, list[Any]] = {}
    for statement in statements:
        for action in statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]:
            resources = statement["Resource"]
            by_action.setdefault(action, []).extend(resources if isinstance(resources, list) else [resources])

    job_function_ids = {
        synthesized.named("AWS::Lambda::Function", "FunctionName", settings.function_name(name))[0]
        for name in JOB_NAMES
    }
    assert {resource["Fn::GetAtt"][0] for resource in by_action["lambda:InvokeFunction"]} == job_function_ids
    schedule_ids = {
        logical_id
        for logical_id, body in synthesized.of_type("AWS::Scheduler::Schedule").items()
        if body["Properties"]["Name"] != settings.schedule_name("watchdog")
    }
    assert len(schedule_ids) == len(JOB_NAMES)
    for action in ("scheduler:GetSchedule", "scheduler:UpdateSchedule"):
        assert {resource["Fn::GetAtt"][0] for resource in by_action[action]} == schedule_ids
    (passed,) = by_action["iam:PassRole"]
    assert passed["Fn::GetAtt"][0].startswith("JobsSchedulerRole")
    assert not any("*" in action for action in by_action)


def test_given_the_api_stage_when_synthesized_then_it_is_throttled_and_access_logged(synthesized):
    ((_, stage),) = synthesized.of_type("AWS::ApiGateway::Stage").items()
    properties = stage["Properties"]

    assert properties["StageName"] == synthesized.config.stage
    assert properties["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][1] == "Arn"
    settings = properties["MethodSettings"][0]
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0


def test_given_the_portal_when_synthesized_then_it_is_served_privately_with_its_runtime_config(synthesized):
    ((_, distribution),) = synthesized.of_type("AWS::CloudFront::Distribution").items()
    config = distribution["Properties"]["DistributionConfig"]
    ((_, upload),) = synthesized.of_type("Custom::CDKBucketDeployment").items()
    (_, config_key) = upload["Properties"]["SourceObjectKeys"]
    markers = upload["Properties"]["SourceMarkers"][1]
    raw = (synthesized.outdir / f"asset.{config_key.removesuffix('.zip')}" / "config.json").read_text()

    assert config["Origins"][0]["OriginAccessControlId"]
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    runtime = json.loads(re.sub(r"<<marker:0xbaba:\d+>>", '"deploy-time"', raw))
    assert set(runtime) == {"apiUrl", "authEndpoint", "region", "userPoolId", "clientId", "stage"}
    assert runtime["stage"] == synthesized.config.stage
    assert "https://cognito-idp." in json.dumps(markers)
    outputs = synthesized.template.to_json()["Outputs"]
    assert {"ApiUrl", "UserPoolId", "UserPoolClientId", "PortalUrl"} <= set(outputs)
