"""Paging and seeing: the alert topic, an alarm for every way a job can fail or not run, a dashboard.

The metric names and dimensions are the ones the runner and the watchdog emit (Powertools EMF with
the `job` and `service` dimensions); tests/infra checks them against what the code really writes.
"""

from __future__ import annotations

from aws_cdk import Annotations, ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.catalog import JOB_NAMES
from functions.observability import METRICS_NAMESPACE, SERVICE
from infra.config import StageConfig
from infra.constructs.api import Api
from infra.constructs.function import ServiceFunction
from infra.constructs.jobs import Jobs

RUN_OUTCOME_METRICS = ("RunsSucceeded", "RunsPartial", "RunsFailed", "RunsTimedOut", "RunsSkipped")
PERIOD = Duration.minutes(5)
# EventBridge Scheduler's per-group metrics for a tick that never became a run: the target (Lambda)
# refused it, Scheduler throttled it, or Scheduler gave up after its retries.
SCHEDULER_FAILURE_METRICS = {
    "TargetErrorCount": "Lambda refused a scheduled invocation (throttled, missing or not permitted).",
    "InvocationThrottleCount": "Scheduler throttled scheduled invocations.",
    "InvocationDroppedCount": "Scheduler dropped a tick after its retries: that run never started.",
}


def job_metric(job: str, name: str, statistic: str = "Sum") -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"job": job, "service": SERVICE},
        statistic=statistic,
        period=PERIOD,
    )


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        key = kms.Key(
            self,
            "AlertKey",
            description=f"Encrypts the {config.prefix} alert topic",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
        )
        # Alarms publish as CloudWatch, which needs the key; an AWS-managed SNS key could not grant it.
        # No source condition here: CloudWatch's calls to KMS are not documented to carry one, and a
        # condition they fail would silence every alarm. The topic policy below is what confines
        # publishing to this account's alarms.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(
            self,
            "Alerts",
            topic_name=config.name("alerts"),
            display_name="DevSphere Automation alerts",
            master_key=key,
            enforce_ssl=True,
        )
        # enforce_ssl writes a topic policy of its own, which replaces SNS's default one: without this
        # statement no alarm of this stack could publish (the watchdog publishes through its IAM role).
        stack = Stack.of(self)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsOfThisStackPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name=config.name("*"),
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        for email in config.alert_emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        if not config.alert_emails:
            Annotations.of(self).add_warning_v2(
                "devsphere:no-alert-email",
                "No alertEmail: alarms publish to the alert topic, but nobody is subscribed to it.",
            )
        self.alarms: list[cloudwatch.Alarm] = []

    def watch(self, jobs: Jobs, api: Api) -> None:
        for job in JOB_NAMES:
            self._alarm(f"{job}-runs-failed", job_metric(job, "RunsFailed"), f"A {job} run failed.")
            self._alarm(f"{job}-runs-timed-out", job_metric(job, "RunsTimedOut"), f"A {job} run timed out.")
            self._alarm(
                f"{job}-late",
                job_metric(job, "HealthLate", "Maximum"),
                f"{job} did not run: a tick passed its grace period with no run (watchdog).",
            )
            self._alarm(
                f"{job}-errors",
                jobs.job_functions[job].function.metric_errors(period=PERIOD),
                f"The {job} function raised or timed out.",
            )
        for label, queue in jobs.dead_letter_queues.items():
            self._alarm(
                f"{label}-dlq",
                queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                f"Messages wait in the {label} dead-letter queue: an event was never processed.",
            )
        for label, function in (
            ("watchdog", jobs.watchdog),
            ("failure-recorder", jobs.failure_recorder),
            ("api", api.function),
        ):
            self._alarm(
                f"{label}-errors",
                function.function.metric_errors(period=PERIOD),
                f"The {label} function failed.",
            )
        # Every function of the stack, not a list to keep up to date: a throttled job simply does not run.
        for function in self._service_functions():
            name = function.function_name
            self._alarm(
                f"{name.removeprefix(self._config.prefix + '-')}-throttles",
                function.function.metric_throttles(period=PERIOD),
                f"Lambda throttled {name}: invocations were refused for lack of concurrency.",
            )
        for metric, description in SCHEDULER_FAILURE_METRICS.items():
            self._alarm(
                f"schedules-{metric.removesuffix('Count').lower()}",
                cloudwatch.Metric(
                    namespace="AWS/Scheduler",
                    metric_name=metric,
                    dimensions_map={"ScheduleGroup": self._config.settings.schedule_group},
                    statistic="Sum",
                    period=PERIOD,
                ),
                description,
            )
        self._alarm(
            "watchdog-not-running",
            jobs.watchdog.function.metric_invocations(period=Duration.minutes(15)),
            "The watchdog has not run for 15 minutes: late and failing jobs would go unnoticed.",
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            missing=cloudwatch.TreatMissingData.BREACHING,
        )
        self._alarm(
            "api-5xx",
            api.rest_api.metric_server_error(period=PERIOD),
            "The API answered with server errors.",
            threshold=5,
        )
        self._dashboard(jobs)

    def watch_function(
        self, label: str, function: lambda_.IFunction, dead_letter_queue: sqs.IQueue | None = None
    ) -> None:
        """A function outside the job catalog: its errors, and events that never reached it, page too."""
        self._alarm(f"{label}-errors", function.metric_errors(period=PERIOD), f"The {label} function failed.")
        if dead_letter_queue is not None:
            self._alarm(
                f"{label}-dlq",
                dead_letter_queue.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic="Maximum"
                ),
                f"Messages wait in the {label} dead-letter queue: an event was never processed.",
            )

    def _alarm(
        self,
        label: str,
        metric: cloudwatch.IMetric,
        description: str,
        *,
        threshold: float = 1,
        comparison: cloudwatch.ComparisonOperator = (
            cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        ),
        missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            label,
            alarm_name=self._config.name(label),
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=comparison,
            treat_missing_data=missing,
        )
        # The OK action announces the recovery, so nobody has to check whether the problem is still on.
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)

    def _service_functions(self) -> list[ServiceFunction]:
        found = [node for node in Stack.of(self).node.find_all() if isinstance(node, ServiceFunction)]
        return sorted(found, key=lambda function: function.function_name)

    def _dashboard(self, jobs: Jobs) -> None:
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=self._config.prefix)
        for job in JOB_NAMES:
            dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title=f"{job}: runs",
                    left=[job_metric(job, name) for name in RUN_OUTCOME_METRICS],
                    stacked=True,
                    width=8,
                ),
                cloudwatch.GraphWidget(
                    title=f"{job}: failures",
                    left=[
                        job_metric(job, "ItemsFailed"),
                        jobs.job_functions[job].function.metric_errors(period=PERIOD),
                    ],
                    width=8,
                ),
                cloudwatch.GraphWidget(
                    title=f"{job}: duration (ms)",
                    left=[
                        job_metric(job, "RunDuration", statistic) for statistic in ("p50", "p95", "Maximum")
                    ],
                    width=8,
                ),
            )
