"""The jobs: one function and one schedule per catalog entry, and the two monitors that keep runs honest."""

from __future__ import annotations

from datetime import datetime, timedelta

from aws_cdk import ArnFormat, Duration, Stack, TimeZone
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.catalog import (
    CATALOG,
    JOB_NAMES,
    WATCHDOG_SCHEDULE_EXPRESSION,
    WATCHDOG_TIMEOUT_SECONDS,
    JobDefinition,
)
from functions.lifecycle.events import scheduled_payload
from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.email import configuration_set_name, sending_statement
from infra.constructs.function import ServiceFunction
from infra.constructs.report_links import link_signing_environment
from infra.nag import acknowledge, arn_of

# Jobs that store reports: they alone may write to the reports bucket, and only
# under the prefix functions.automations.report_storage writes to.
REPORT_WRITERS = frozenset({"scheduled-reports"})
REPORTS_KEY_PREFIX = "reports/"

# No asynchronous retries for job invocations: a retry of a timed-out or crashed tick would find the tick
# already claimed and end quietly, so the failure recorder would never hear of the failure. The runner
# records job errors itself; only a crash or timeout reaches the destination, and it should at once.
JOB_RETRY_ATTEMPTS = 0
# The failure recorder itself is retried: a destination record it could not process is worth another try.
RECORDER_RETRY_ATTEMPTS = 2
ASYNC_MAX_EVENT_AGE = Duration.hours(1)
# Scheduler's retries when it cannot hand a tick to Lambda at all (throttling, outage); then the DLQ.
SCHEDULE_RETRY_ATTEMPTS = 3
SCHEDULE_MAX_EVENT_AGE = Duration.hours(1)
# AWS rejects a schedule start more than a few minutes in the past; this covers the synth-to-deploy gap.
_START_MARGIN = timedelta(minutes=10)


def rate_start(job: JobDefinition, synth_time: datetime) -> datetime | None:
    """For a rate() job, the first tick after deploy on the catalog's RATE_ANCHOR grid, else None.

    The status page counts rate ticks from RATE_ANCHOR; AWS counts them from the schedule's start date,
    which must not lie in the past. A start on the anchor's grid keeps both counting the same ticks.
    """
    if not job.schedule_expression.startswith("rate("):
        return None
    return job.schedule.next_after(synth_time + _START_MARGIN)


class Jobs(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        data: Data,
        code: lambda_.Code,
        alert_topic: sns.ITopic,
        synth_time: datetime,
    ) -> None:
        super().__init__(scope, construct_id)
        unknown = REPORT_WRITERS - set(JOB_NAMES)
        if unknown:
            raise ValueError(f"REPORT_WRITERS names jobs missing from the catalog: {sorted(unknown)}")
        self._config = config
        settings = config.settings
        run_log_environment = data.environment(data.run_log_models)
        self.dead_letter_queues: dict[str, sqs.Queue] = {}

        self.failure_recorder = ServiceFunction(
            self,
            "FailureRecorder",
            config=config,
            function_name=settings.function_name("failure-recorder"),
            handler="functions.monitors.failure_recorder.handler",
            code=code,
            description="Records the outcome of job invocations that crashed or timed out",
            timeout=Duration.minutes(1),
            memory_mb=256,
            environment=run_log_environment,
            # A destination record the recorder cannot process is kept rather than lost.
            on_failure=destinations.SqsDestination(self._queue("failure-recorder")),
            retry_attempts=RECORDER_RETRY_ATTEMPTS,
        )
        data.grant(self.failure_recorder.role, data.run_log_models, write=True)

        self.watchdog = ServiceFunction(
            self,
            "Watchdog",
            config=config,
            function_name=settings.function_name("watchdog"),
            handler="functions.monitors.watchdog.handler",
            code=code,
            description="Marks stuck runs, computes each job's health and alerts on late or failing jobs",
            timeout=Duration.seconds(WATCHDOG_TIMEOUT_SECONDS),
            memory_mb=256,
            environment={
                **run_log_environment,
                **data.environment(data.journal_models),
                "ALERT_TOPIC_ARN": alert_topic.topic_arn,
            },
            # The next pass is minutes away and does the same work; a retry would only overlap it.
            retry_attempts=0,
        )
        data.grant(self.watchdog.role, data.run_log_models + data.journal_models, write=True)
        alert_topic.grant_publish(self.watchdog.role)
        acknowledge(
            self.watchdog.role,
            "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            "Publishing to the encrypted alert topic needs data keys from its own key, and no other.",
        )

        self.job_functions = {job.name: self._job_function(job, data, code) for job in CATALOG}

        self.schedule_group = scheduler.ScheduleGroup(
            self,
            "ScheduleGroup",
            schedule_group_name=settings.schedule_group,
            removal_policy=config.removal_policy,
        )
        stack = Stack.of(self)
        # Only schedules of this stack's group may act as this role (no other account's, no other group's).
        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    # Scheduler presents the schedule group's ARN, never a schedule's.
                    "ArnEquals": {
                        "aws:SourceArn": stack.format_arn(
                            service="scheduler",
                            resource="schedule-group",
                            resource_name=settings.schedule_group,
                        )
                    },
                },
            ),
            description="Lets the job schedules invoke their functions",
        )
        tick = scheduler.ContextAttribute
        self.schedules = {
            job.name: self._schedule(
                job.name,
                scheduler.ScheduleExpression.expression(job.schedule_expression, TimeZone.of(job.timezone)),
                self.job_functions[job.name],
                payload=scheduled_payload(job.name, tick.scheduled_time, tick.execution_id),
                start=rate_start(job, synth_time),
                description=job.title,
            )
            for job in CATALOG
        }
        # The watchdog's ticks are not checked against anything, so its schedule needs no anchored start.
        self.watchdog_schedule = self._schedule(
            "watchdog",
            scheduler.ScheduleExpression.expression(WATCHDOG_SCHEDULE_EXPRESSION),
            self.watchdog,
            payload={"scheduled_time": tick.scheduled_time},
            start=None,
            description="Watchdog",
        )
        for function in [*self.job_functions.values(), self.watchdog]:
            acknowledge(
                self.scheduler_role,
                f"AwsSolutions-IAM5[Resource::{arn_of(function.function)}:*]",
                "The scheduler may invoke any version of its target function, and no other function.",
            )

    @property
    def job_function_arns(self) -> list[str]:
        return [function.arn for function in self.job_functions.values()]

    @property
    def job_schedule_arns(self) -> list[str]:
        return [schedule.schedule_arn for schedule in self.schedules.values()]

    def _job_function(self, job: JobDefinition, data: Data, code: lambda_.Code) -> ServiceFunction:
        settings = self._config.settings
        function_name = settings.function_name(job.name)
        environment = {
            **data.environment(data.run_log_models + data.platform_models),
            "SENDER_EMAIL": self._config.sender_email,
            "SES_CONFIGURATION_SET": configuration_set_name(self._config),
        }
        if job.name in REPORT_WRITERS:
            environment["REPORTS_BUCKET"] = data.reports.bucket_name
            environment.update(link_signing_environment(self._config))
        function = ServiceFunction(
            self,
            job.name,
            config=self._config,
            function_name=function_name,
            handler=job.handler,
            code=code,
            description=job.title,
            timeout=Duration.seconds(job.timeout_seconds),
            memory_mb=job.memory_mb,
            environment=environment,
            on_failure=destinations.LambdaDestination(self.failure_recorder.function, response_only=False),
            retry_attempts=JOB_RETRY_ATTEMPTS,
            max_event_age=ASYNC_MAX_EVENT_AGE,
        )
        data.grant(function.role, data.run_log_models + data.platform_models, write=True)
        stack = Stack.of(self)
        # A long run continues in a fresh invocation of its own function, and of no other. The ARN is
        # built from the name: referring to the function itself would make its role depend on it.
        own_arn = stack.format_arn(
            service="lambda",
            resource="function",
            resource_name=function_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        function.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[own_arn])
        )
        # The failure recorder invokes a job again when its invocation failed before its work began
        # (functions.lifecycle.failures re-drives): the unqualified function, so no version wildcard.
        self.failure_recorder.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[own_arn])
        )
        function.role.add_to_principal_policy(sending_statement(self, self._config))
        acknowledge(
            function.role,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]",
            "SES sandbox recipients are identities too; ses:FromAddress limits sending to our sender.",
        )
        acknowledge(
            function.role,
            f"AwsSolutions-IAM5[Resource::{arn_of(self.failure_recorder.function)}:*]",
            "The on-failure destination invokes the failure recorder, whichever version is current.",
        )
        if job.name in REPORT_WRITERS:
            function.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["s3:PutObject"],
                    resources=[data.reports.arn_for_objects(f"{REPORTS_KEY_PREFIX}*")],
                )
            )
            acknowledge(
                function.role,
                f"AwsSolutions-IAM5[Resource::{arn_of(data.reports)}/{REPORTS_KEY_PREFIX}*]",
                "Reports are named per run: the job writes objects under their prefix only.",
            )
        return function

    def _schedule(
        self,
        name: str,
        expression: scheduler.ScheduleExpression,
        target: ServiceFunction,
        *,
        payload: dict[str, str],
        start: datetime | None,
        description: str,
    ) -> scheduler.Schedule:
        schedule = scheduler.Schedule(
            self,
            f"{name}-schedule",
            schedule_name=self._config.settings.schedule_name(name),
            schedule_group=self.schedule_group,
            schedule=expression,
            description=description,
            time_window=scheduler.TimeWindow.off(),
            start=start,
            # Always enabled in the template: a pause lives in the job-state table and the runner skips a
            # paused job's ticks, so a deploy (which rewrites every schedule) cannot resume a paused job.
            enabled=True,
            target=targets.LambdaInvoke(
                target.function,
                input=scheduler.ScheduleTargetInput.from_object(payload),
                role=self.scheduler_role,
                dead_letter_queue=self._queue(f"{name}-schedule"),
                retry_attempts=SCHEDULE_RETRY_ATTEMPTS,
                max_event_age=SCHEDULE_MAX_EVENT_AGE,
            ),
        )
        # The group is referred to by its literal name, which alone would not order its creation first.
        schedule.node.add_dependency(self.schedule_group)
        return schedule

    def _queue(self, label: str) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            f"{label}-dlq",
            queue_name=self._config.name(f"{label}-dlq"),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            queue, "AwsSolutions-SQS3", "This queue is itself a dead-letter queue; an alarm watches it."
        )
        self.dead_letter_queues[label] = queue
        return queue
