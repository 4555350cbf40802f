"""Report links that live as long as the email says: a signing key, the download function and its URL.

A presigned S3 URL signed with a Lambda role's session dies with that session (hours). The job instead
emails a link to `GET /reports/download?token=...`, whose token it signs with a key from Secrets Manager; the
download function checks the token and redirects to a presigned URL of a few minutes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from functions.automations.report_links import DOWNLOAD_PATH, KEY_PREFIX
from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.function import ServiceFunction
from infra.nag import acknowledge, arn_of

if TYPE_CHECKING:
    # Only for annotations: the jobs construct reads this module's names.
    from infra.constructs.api import Api


def secret_name(config: StageConfig) -> str:
    return config.name("report-links")


def url_parameter_name(config: StageConfig) -> str:
    return f"/{config.prefix}/report-download-url"


def link_signing_environment(config: StageConfig) -> dict[str, str]:
    """Names only: the job functions exist before the API whose URL the parameter holds."""
    return {
        "REPORT_LINK_SECRET": secret_name(config),
        "REPORT_DOWNLOAD_URL_PARAMETER": url_parameter_name(config),
    }


class ReportLinks(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, data: Data, code: lambda_.Code
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.secret = secretsmanager.Secret(
            self,
            "SigningKey",
            secret_name=secret_name(config),
            description="HMAC key of emailed report download links",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=config.removal_policy,
        )
        acknowledge(
            self.secret,
            "AwsSolutions-SMG4",
            "Rotating the key ends every emailed report link at once; rotate by hand if it leaks.",
        )
        self.download = ServiceFunction(
            self,
            "Download",
            config=config,
            function_name=config.settings.function_name("report-download"),
            handler="functions.api.report_download.handler",
            code=code,
            description="Checks a report link's signed token and redirects to a short-lived S3 URL",
            timeout=Duration.seconds(10),
            memory_mb=256,
            environment={
                "REPORTS_BUCKET": data.reports.bucket_name,
                "REPORT_LINK_SECRET": secret_name(config),
            },
        )
        self.secret.grant_read(self.download.role)
        self.download.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[data.reports.arn_for_objects(f"{KEY_PREFIX}*")]
            )
        )
        acknowledge(
            self.download.role,
            f"AwsSolutions-IAM5[Resource::{arn_of(data.reports)}/{KEY_PREFIX}*]",
            "A link may name any stored report; the function reads only the reports prefix of this bucket.",
        )

    def serve(self, api: Api, signers: list[iam.IRole]) -> None:
        """The public download method, the URL the jobs link to, and the signers' right to sign links."""
        api.add_public_method(DOWNLOAD_PATH, self.download.function, query=("token",))
        name = url_parameter_name(self._config)
        ssm.StringParameter(
            self,
            "DownloadUrl",
            parameter_name=name,
            description="Base URL of report download links",
            string_value=f"{api.rest_api.url}{DOWNLOAD_PATH.lstrip('/')}",
        )
        # Built from the name: a reference to the parameter would make the job functions wait for the API,
        # whose role refers to the job functions.
        parameter_arn = Stack.of(self).format_arn(
            service="ssm", resource="parameter", resource_name=name.lstrip("/")
        )
        for role in signers:
            self.secret.grant_read(role)
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[parameter_arn])
            )
