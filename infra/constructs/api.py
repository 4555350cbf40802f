"""Sign-in and the admin API: a Cognito user pool, and a REST API only its users get through to the Lambda."""

from __future__ import annotations

import json
from http import HTTPStatus

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from functions.api.auth import ALLOWED_GROUPS
from functions.api.edges import GATEWAY_ERRORS, SECURITY_HEADERS
from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.function import ServiceFunction
from infra.constructs.jobs import Jobs
from infra.nag import acknowledge

# Every route of functions.api.app, with its methods (tests/infra compares them with the API's OpenAPI).
ROUTES: dict[str, tuple[str, ...]] = {
    "/jobs": ("GET",),
    "/jobs/{job}": ("GET",),
    "/jobs/{job}/runs": ("POST",),
    "/jobs/{job}/pause": ("POST",),
    "/jobs/{job}/resume": ("POST",),
    "/jobs/{job}/activity": ("GET",),
    "/runs": ("GET",),
    "/runs/{run_id}": ("GET",),
    "/runs/{run_id}/cancel": ("POST",),
    "/runs/{run_id}/unconfirmed/release": ("POST",),
    "/runs/{run_id}/parked/release": ("POST",),
    "/runs/{run_id}/retry": ("POST",),
    "/incidents": ("GET",),
    "/openapi.json": ("GET",),
}
REQUEST_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key"]
THROTTLE_RATE_PER_SECOND = 20
THROTTLE_BURST = 40


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        data: Data,
        jobs: Jobs,
        code: lambda_.Code,
        portal_origin: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.user_pool = self._user_pool(config, portal_origin)
        self.client = self.user_pool.add_client(
            "PortalClient",
            user_pool_client_name=config.name("portal"),
            # SRP only: the password never leaves the browser, not even to Cognito. Refresh tokens are
            # always allowed for a client; USER_PASSWORD_AUTH and the admin flows are not.
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(1),
        )

        self.function = ServiceFunction(
            self,
            "Handler",
            config=config,
            function_name=config.settings.function_name("api"),
            handler="functions.api.app.handler",
            code=code,
            description="Admin API: job status, run logs, run now, pause and resume",
            timeout=Duration.seconds(29),
            memory_mb=512,
            environment={
                **data.environment(data.run_log_models + data.journal_models + data.platform_models),
                "PORTAL_ORIGIN": portal_origin,
            },
        )
        self._grant(data, jobs)
        self.rest_api = self._rest_api(config, portal_origin)

    def add_public_method(self, path: str, function: lambda_.IFunction, query: tuple[str, ...]) -> None:
        """A GET without the Cognito authorizer, for links opened from an email: what it serves checks its
        own credential (a signed token in the required query parameters)."""
        method = self.rest_api.root.resource_for_path(path).add_method(
            "GET",
            apigateway.LambdaIntegration(function, allow_test_invoke=False),
            authorization_type=apigateway.AuthorizationType.NONE,
            request_validator=self._validator,
            request_parameters={f"method.request.querystring.{name}": True for name in query},
        )
        reason = "An emailed link opens in any browser; the signed, expiring token in it is the credential."
        acknowledge(method, "AwsSolutions-APIG4", reason)
        acknowledge(method, "AwsSolutions-COG4", reason)

    def portal_config(self) -> dict[str, str]:
        """The portal's config.json: the same keys the local runtime serves."""
        return {
            "apiUrl": self.rest_api.url,
            "authEndpoint": f"https://cognito-idp.{Aws.REGION}.{Aws.URL_SUFFIX}/",
            "region": Aws.REGION,
            "userPoolId": self.user_pool.user_pool_id,
            "clientId": self.client.user_pool_client_id,
            "stage": self._config.stage,
        }

    def _user_pool(self, config: StageConfig, portal_origin: str) -> cognito.UserPool:
        pool = cognito.UserPool(
            self,
            "Users",
            user_pool_name=config.name("users"),
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=14,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            # Every user of this pool can run jobs that email customers and pause schedules: a password
            # alone must not be enough. Users enrol an authenticator app at their first sign-in.
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # The invitation is the whole first-sign-in guide: where to go and what happens there.
            user_invitation=cognito.UserInvitationConfig(
                email_subject="Your DevSphere Automation sign-in",
                email_body=(
                    "Sign in at " + portal_origin + " with the username {username} and the temporary "
                    "password {####} within 3 days. You will choose your own password, then add the "
                    "account to an authenticator app."
                ),
            ),
            # Blocks sign-ins with credentials known to be leaked and adapts to risky ones; priced per
            # active user, which for a handful of invited admins is cents a month.
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=config.is_production,
            removal_policy=config.removal_policy,
        )
        for group in sorted(ALLOWED_GROUPS):
            pool.add_group(
                f"{group}-group", group_name=group, description=f"May use the automation API ({group})"
            )
        return pool

    def _grant(self, data: Data, jobs: Jobs) -> None:
        role = self.function.role
        # Starting a run writes the queued run and the job's lock; every admin action is journalled.
        data.grant(role, data.run_log_models + data.journal_models, write=True)
        # Releasing parked items reads platform records and updates them in place; it never creates one.
        data.grant(role, data.platform_models, write=False)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["dynamodb:UpdateItem"],
                resources=[data.tables[model].table_arn for model in data.platform_models],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=jobs.job_function_arns)
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["scheduler:GetSchedule", "scheduler:UpdateSchedule"],
                resources=jobs.job_schedule_arns,
            )
        )
        # UpdateSchedule re-submits the schedule's target, whose role must be passed again.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[jobs.scheduler_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
            )
        )

    def _rest_api(self, config: StageConfig, portal_origin: str) -> apigateway.RestApi:
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=config.removal_policy,
        )
        api = apigateway.RestApi(
            self,
            "Rest",
            rest_api_name=config.prefix,
            description="DevSphere Automation admin API",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            # API Gateway logs through one role per account and region (an account setting). Retained, so
            # deleting any stage's stack never takes logging away from the account's other APIs; the first
            # deploy still works with no manual step. docs/deploy.md says how to remove it for good.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigateway.StageOptions(
                stage_name=config.stage,
                throttling_rate_limit=THROTTLE_RATE_PER_SECOND,
                throttling_burst_limit=THROTTLE_BURST,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                metrics_enabled=True,
                tracing_enabled=True,
            ),
            default_cors_preflight_options=apigateway.CorsOptions(
                allow_origins=[portal_origin],
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=REQUEST_HEADERS,
                max_age=Duration.minutes(10),
            ),
        )
        authorizer = apigateway.CognitoUserPoolsAuthorizer(
            self,
            "Authorizer",
            cognito_user_pools=[self.user_pool],
            identity_source=apigateway.IdentitySource.header("Authorization"),
        )
        validator = self._validator = api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        integration = apigateway.LambdaIntegration(self.function.function, allow_test_invoke=False)
        for path, methods in ROUTES.items():
            resource = api.root.resource_for_path(path)
            parameters = {
                f"method.request.path.{segment[1:-1]}": True
                for segment in path.split("/")
                if segment.startswith("{")
            }
            for method in methods:
                resource.add_method(
                    method,
                    integration,
                    authorizer=authorizer,
                    authorization_type=apigateway.AuthorizationType.COGNITO,
                    request_validator=validator,
                    request_parameters=parameters or None,
                )
        # API Gateway answers some requests itself; these keep its answers in the API's error shape, with the
        # API's security headers, and readable by the portal (CORS).
        for response_type, answer in GATEWAY_ERRORS.items():
            message = json.dumps(answer.message) if answer.message else "$context.error.messageString"
            headers = {name: f"'{value}'" for name, value in SECURITY_HEADERS.items()}
            if answer.status == HTTPStatus.UNAUTHORIZED:
                headers["WWW-Authenticate"] = "'Bearer'"
            api.add_gateway_response(
                f"{response_type}-response",
                type=apigateway.ResponseType.of(response_type),
                status_code=str(answer.status) if answer.status else None,
                response_headers={"Access-Control-Allow-Origin": f"'{portal_origin}'", **headers},
                templates={
                    "application/json": f'{{"error": {{"code": "{answer.code}", "message": {message}, '
                    '"request_id": "$context.requestId"}}'
                },
            )
        acknowledge(
            api,
            "AwsSolutions-APIG3",
            "Every method requires a Cognito user of the admin or ceo group and the stage is throttled; "
            "a WAF would add cost without protecting anything more for a handful of invited users.",
        )
        acknowledge(
            api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-wide logging role needs exactly this AWS-maintained policy.",
        )
        return api
