"""The one stack: data, jobs, API, portal and monitoring, wired together and nothing else."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import Aspects, CfnOutput, IAspect, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from infra.config import StageConfig
from infra.constructs.api import Api
from infra.constructs.data import Data
from infra.constructs.email import Email
from infra.constructs.jobs import REPORT_WRITERS, Jobs
from infra.constructs.monitoring import Monitoring
from infra.constructs.portal import Portal
from infra.constructs.report_links import ReportLinks


@jsii.implements(IAspect)
class LogRetention:
    """Every log group of the stack keeps its logs as long as the run log keeps runs (retentionDays),
    so no run's log link points at deleted logs; whoever adds a log group cannot forget it."""

    def __init__(self, days: int | None) -> None:
        self._days = days

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, logs.CfnLogGroup):
            node.retention_in_days = self._days


class AutomationStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        code: lambda_.Code,
        portal_site: Path,
        synth_time: datetime,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"DevSphere Automation ({config.stage}): background jobs, run log, API and portal",
            **kwargs,
        )
        Aspects.of(self).add(LogRetention(config.log_retention_days))
        data = Data(self, "Data", config=config)
        monitoring = Monitoring(self, "Monitoring", config=config)
        jobs = Jobs(
            self,
            "Jobs",
            config=config,
            data=data,
            code=code,
            alert_topic=monitoring.topic,
            synth_time=synth_time,
        )
        portal = Portal(self, "Portal", config=config, access_logs=data.access_logs)
        api = Api(self, "Api", config=config, data=data, jobs=jobs, code=code, portal_origin=portal.origin)
        portal.publish(portal_site, api.portal_config())
        email = Email(self, "Email", config=config, data=data, code=code)
        links = ReportLinks(self, "ReportLinks", config=config, data=data, code=code)
        links.serve(api, [jobs.job_functions[job].role for job in sorted(REPORT_WRITERS)])
        monitoring.watch_function("email-feedback", email.feedback.function, email.dead_letter_queue)
        monitoring.watch_function("report-download", links.download.function)
        # Last: it alarms on every function of the stack, so a function added after it would go unwatched.
        monitoring.watch(jobs, api)

        CfnOutput(self, "ApiUrl", value=api.rest_api.url, description="Base URL of the admin API")
        CfnOutput(self, "UserPoolId", value=api.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=api.client.user_pool_client_id)
        CfnOutput(self, "PortalUrl", value=portal.url, description="The admin portal")
        CfnOutput(self, "AlertTopicArn", value=monitoring.topic.topic_arn)
