"""The portal's hosting: a private bucket behind CloudFront, and the runtime config.json beside the page."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as deployment
from constructs import Construct

from functions.api.edges import PAGE_CSP
from infra.config import StageConfig
from infra.nag import acknowledge, arn_of


class Portal(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, access_logs: s3.IBucket
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.bucket = s3.Bucket(
            self,
            "Site",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="portal/",
            removal_policy=config.removal_policy,
            auto_delete_objects=not config.is_production,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Cdn",
            comment=f"{config.prefix} admin portal",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self._security_headers(),
            ),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=access_logs,
            log_file_prefix="cloudfront/",
        )
        for rule, reason in (
            (
                "AwsSolutions-CFR4",
                "The portal is served on the default CloudFront domain, whose certificate fixes the TLS "
                "policy; a custom domain with its own certificate would allow raising it.",
            ),
            (
                "AwsSolutions-CFR1",
                "Admins sign in from wherever they travel; every byte of data needs Cognito.",
            ),
            (
                "AwsSolutions-CFR2",
                "The distribution serves static files only; the data sits behind the Cognito-protected API.",
            ),
        ):
            acknowledge(self.distribution, rule, reason)

    def _security_headers(self) -> cloudfront.ResponseHeadersPolicy:
        """The headers the local gateway sends with the portal, so the page is framed nowhere either way
        (the managed SECURITY_HEADERS policy has no CSP, and a <meta> CSP cannot carry frame-ancestors)."""
        return cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Portal: CSP with frame-ancestors, nosniff, no referrer, HSTS",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=PAGE_CSP, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
            ),
        )

    @property
    def origin(self) -> str:
        """What browsers send as Origin: the API allows CORS from here only."""
        return f"https://{self.distribution.distribution_domain_name}"

    @property
    def url(self) -> str:
        return f"{self.origin}/"

    def publish(self, site: Path, runtime_config: dict[str, str]) -> None:
        """Uploads the portal folder and its config.json, then invalidates the cached copies."""
        upload = deployment.BucketDeployment(
            self,
            "Deploy",
            destination_bucket=self.bucket,
            sources=[
                deployment.Source.asset(str(site)),
                deployment.Source.json_data("config.json", runtime_config),
            ],
            distribution=self.distribution,
            distribution_paths=["/*"],
            memory_limit=256,
            # A log group of the stack (so it expires like every other one) rather than one Lambda creates
            # on first use and keeps forever.
            log_group=logs.LogGroup(self, "DeployLogs", removal_policy=self._config.removal_policy),
        )
        # CDK's own deploy-time copier (one per stack, outside this construct): accepted as AWS ships it.
        copier = upload.handler_role.node.scope
        assert copier is not None
        reason = "CDK's BucketDeployment handler copies the portal from the CDK asset bucket at deploy time."
        for rule in (
            "AwsSolutions-L1",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "AwsSolutions-IAM5[Resource::*]",
            "AwsSolutions-IAM5[Action::s3:GetObject*]",
            "AwsSolutions-IAM5[Action::s3:GetBucket*]",
            "AwsSolutions-IAM5[Action::s3:List*]",
            "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
            "AwsSolutions-IAM5[Action::s3:Abort*]",
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]",
            f"AwsSolutions-IAM5[Resource::{arn_of(self.bucket)}/*]",
        ):
            acknowledge(copier, rule, reason)
