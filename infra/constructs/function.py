"""The one way a function of this service is built: named as the code expects, with its own role and logs."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from functions.observability import METRICS_NAMESPACE, SERVICE
from infra.config import StageConfig
from infra.nag import acknowledge

# The team's chosen runtime; requirements.lock is installed for it (infra/bundle.py). cdk-nag prefers the
# newest (3.14): moving up is this line plus a check that every locked wheel exists for it.
RUNTIME = lambda_.Runtime.PYTHON_3_13
PYTHON_VERSION = RUNTIME.name.removeprefix("python")


class ServiceFunction(Construct):
    """A Lambda function with a role that starts with nothing but writing its own logs and traces."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        function_name: str,
        handler: str,
        code: lambda_.Code,
        description: str,
        timeout: Duration,
        memory_mb: int,
        environment: dict[str, str],
        on_failure: lambda_.IDestination | None = None,
        retry_attempts: int | None = None,
        max_event_age: Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function_name = function_name
        # Its retention is the stack's one log retention (infra.stack.LogRetention).
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{function_name}",
            removal_policy=config.removal_policy,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs {function_name}",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            description=description,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=code,
            timeout=timeout,
            memory_size=memory_mb,
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            environment={
                # One service name for every function: it is a dimension of every metric the alarms watch.
                "POWERTOOLS_SERVICE_NAME": SERVICE,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "LOG_LEVEL": "INFO",
                "RESOURCE_PREFIX": config.prefix,
                "RUN_RETENTION_DAYS": str(config.retention_days),
                **environment,
            },
            on_failure=on_failure,
            retry_attempts=retry_attempts,
            max_event_age=max_event_age,
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            f"{RUNTIME.name} is the runtime the dependency lock is installed for; see RUNTIME.",
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions.",
        )

    @property
    def arn(self) -> str:
        return self.function.function_arn
