"""Creates in the embedded AWS what the CDK app creates in a real account, from the same definitions.

Tables come from the pynamodb models, schedules from the job catalog, names from the functions' settings:
nothing here restates a value they own.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3

from functions.automations.report_links import DOWNLOAD_PATH
from functions.catalog import CATALOG, WATCHDOG_SCHEDULE_EXPRESSION
from functions.data.schema import create_tables
from functions.lifecycle.events import scheduled_payload
from functions.settings import Settings, get_settings
from local.gateway import API_PREFIX

# What EventBridge Scheduler replaces in a target's input at each tick.
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
EXECUTION_ID = "<aws.scheduler.execution-id>"
WATCHDOG = "watchdog"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    groups: tuple[str, ...]
    email: str
    rights: str


@dataclass(frozen=True)
class Provisioned:
    user_pool_id: str
    client_id: str
    users: tuple[DemoUser, ...]
    alert_topic_arn: str


# admin and ceo may do everything; viewer is signed in but in neither group, so the API refuses it (403).
_DEMO_USERS = (
    ("admin", ("admin",), "status, logs, run now, pause and resume"),
    ("ceo", ("ceo",), "the same rights as admin"),
    ("viewer", ("sales",), "signed in but not admin or ceo: refused with 403"),
)


def provision(function_arn: Callable[[str], str], role_arn: str, *, require_mfa: bool = False) -> Provisioned:
    """Everything the service needs, in dependency order. Sets ALERT_TOPIC_ARN for the functions."""
    alert_topic_arn = _alert_topic(get_settings())
    os.environ["ALERT_TOPIC_ARN"] = alert_topic_arn
    # Settings are read once per process; the topic ARN only exists from now on.
    get_settings.cache_clear()
    settings = get_settings()
    create_tables()
    _email_sender(settings)
    _reports_bucket(settings)
    _report_links(settings)
    create_schedules(settings, function_arn, role_arn)
    pool_id, client_id, users = _user_pool(settings, require_mfa)
    return Provisioned(pool_id, client_id, users, alert_topic_arn)


def _alert_topic(settings: Settings) -> str:
    topic: str = boto3.client("sns").create_topic(Name=f"{settings.resource_prefix}-alerts")["TopicArn"]
    return topic


def _email_sender(settings: Settings) -> None:
    # SES rejects mail from an unverified sender; moto verifies the identity at once.
    ses = boto3.client("ses")
    ses.verify_email_identity(EmailAddress=settings.sender_email)
    ses.create_configuration_set(ConfigurationSet={"Name": settings.ses_configuration_set})


def _report_links(settings: Settings) -> None:
    """The link signing key and the download URL, as the stack creates them (the URL through this origin)."""
    boto3.client("secretsmanager").create_secret(
        Name=settings.report_link_secret, SecretString=secrets.token_urlsafe(48)
    )
    boto3.client("ssm").put_parameter(
        Name=settings.report_download_url_parameter,
        Value=f"{settings.portal_origin}{API_PREFIX}{DOWNLOAD_PATH}",
        Type="String",
    )


def _reports_bucket(settings: Settings) -> None:
    location: dict[str, Any] = (
        {}
        if settings.region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": settings.region}}
    )
    boto3.client("s3").create_bucket(Bucket=settings.reports_bucket, **location)


def job_schedule_input(job: str) -> str:
    """The target input of a job's schedule: the payload the job function parses, with context attributes."""
    return json.dumps(scheduled_payload(job, SCHEDULED_TIME, EXECUTION_ID))


def create_schedules(settings: Settings, function_arn: Callable[[str], str], role_arn: str) -> None:
    client = boto3.client("scheduler")
    client.create_schedule_group(Name=settings.schedule_group)
    for job in CATALOG:
        _create_schedule(
            client,
            settings,
            name=settings.schedule_name(job.name),
            expression=job.schedule_expression,
            timezone=job.timezone,
            target={
                "Arn": function_arn(settings.function_name(job.name)),
                "RoleArn": role_arn,
                "Input": job_schedule_input(job.name),
            },
        )
    _create_schedule(
        client,
        settings,
        name=settings.schedule_name(WATCHDOG),
        expression=WATCHDOG_SCHEDULE_EXPRESSION,
        timezone="UTC",
        target={
            "Arn": function_arn(settings.function_name(WATCHDOG)),
            "RoleArn": role_arn,
            "Input": json.dumps({"scheduled_time": SCHEDULED_TIME}),
        },
    )


def _create_schedule(
    client: Any, settings: Settings, *, name: str, expression: str, timezone: str, target: dict[str, str]
) -> None:
    # No StartDate: the local scheduler counts rate ticks from the catalog's RATE_ANCHOR, as infra's start
    # dates (on the anchor's grid) make AWS do.
    client.create_schedule(
        Name=name,
        GroupName=settings.schedule_group,
        ScheduleExpression=expression,
        ScheduleExpressionTimezone=timezone,
        FlexibleTimeWindow={"Mode": "OFF"},
        State="ENABLED",
        Target=target,
    )


def _user_pool(settings: Settings, require_mfa: bool) -> tuple[str, str, tuple[DemoUser, ...]]:
    client = boto3.client("cognito-idp")
    pool_id: str = client.create_user_pool(
        PoolName=f"{settings.resource_prefix}-users",
        AutoVerifiedAttributes=["email"],
        AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
    )["UserPool"]["Id"]
    # The deployed pool requires TOTP. Optional here by default, so the demo logins need only a password;
    # `--require-mfa` gives the deployed behaviour (enrolment at first sign-in, a code at every one).
    client.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="ON" if require_mfa else "OPTIONAL",
    )
    # As deployed: SRP and refresh only (moto does not enforce a client's flows; tests/infra pins AWS's).
    client_id: str = client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=f"{settings.resource_prefix}-portal",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    for group in sorted({group for _, groups, _ in _DEMO_USERS for group in groups}):
        client.create_group(UserPoolId=pool_id, GroupName=group)
    users = []
    for username, groups, rights in _DEMO_USERS:
        email = f"{username}@devsphere.example"
        client.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )
        password = demo_password()
        # Permanent, so the first sign-in is not a forced password change.
        client.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=password, Permanent=True
        )
        for group in groups:
            client.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
        users.append(DemoUser(username, password, groups, email, rights))
    return pool_id, client_id, tuple(users)


def demo_password() -> str:
    """Fresh each start, easy to type, and within Cognito's default policy (upper, lower, digit, symbol)."""
    letters = string.ascii_lowercase
    words = ["".join(secrets.choice(letters) for _ in range(4)) for _ in range(3)]
    return f"{words[0].title()}-{words[1]}-{secrets.randbelow(90) + 10}{words[2]}!"
