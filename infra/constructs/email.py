"""Email from day one: the sender's SES identity, the configuration set every send names, and its feedback.

SES reports bounces and complaints only asynchronously, and only through a configuration set's event
destination. Ours publishes them to the account's default EventBridge bus; a rule matching this set's events
hands them to the email-feedback function, which stops the contact's sequences.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.automations.email_feedback import FEEDBACK_DETAIL_TYPES
from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.function import ServiceFunction
from infra.nag import acknowledge

# EventBridge retries a failed delivery to the function; a feedback event is worth keeping for a day.
FEEDBACK_RETRY_ATTEMPTS = 8
FEEDBACK_MAX_EVENT_AGE = Duration.hours(24)
# SES tags every event of a configuration set with the set's name.
CONFIGURATION_SET_TAG = "ses:configuration-set"


def configuration_set_name(config: StageConfig) -> str:
    return config.name("email")


def sending_statement(scope: Construct, config: StageConfig) -> iam.PolicyStatement:
    """Send as the configured sender only, to anyone.

    In the SES sandbox every recipient is an identity that SES authorizes too, so a policy naming only the
    sender's identity is refused there; `identity/*` with an ses:FromAddress condition works in and out of
    the sandbox and still lets the function send from no other address.
    """
    stack = Stack.of(scope)
    return iam.PolicyStatement(
        actions=["ses:SendEmail", "ses:SendRawEmail"],
        resources=[
            stack.format_arn(service="ses", resource="identity", resource_name="*"),
            stack.format_arn(
                service="ses", resource="configuration-set", resource_name=configuration_set_name(config)
            ),
        ],
        conditions={"StringEquals": {"ses:FromAddress": config.sender_email}},
    )


class Email(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, data: Data, code: lambda_.Code
    ) -> None:
        super().__init__(scope, construct_id)
        name = configuration_set_name(config)
        self.configuration_set = ses.ConfigurationSet(
            self,
            "ConfigurationSet",
            configuration_set_name=name,
            reputation_metrics=True,
            sending_enabled=True,
            # SES itself then refuses addresses that bounced or complained, whatever our data says.
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
        )
        # Creating the identity makes SES email the sender a verification link; sending works once it is used.
        self.identity = ses.EmailIdentity(
            self,
            "Sender",
            identity=ses.Identity.email(config.sender_email),
            configuration_set=self.configuration_set,
        )
        default_bus = events.EventBus.from_event_bus_name(self, "DefaultBus", "default")
        self.configuration_set.add_event_destination(
            "Feedback",
            configuration_set_event_destination_name="feedback",
            destination=ses.EventDestination.event_bus(default_bus),
            events=[ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
        )

        self.dead_letter_queue = sqs.Queue(
            self,
            "FeedbackDlq",
            queue_name=config.name("email-feedback-dlq"),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the feedback rule and function; it is alarmed.",
        )
        self.feedback = ServiceFunction(
            self,
            "Feedback",
            config=config,
            function_name=config.settings.function_name("email-feedback"),
            handler="functions.monitors.email_feedback.handler",
            code=code,
            description="Marks contacts whose email bounced for good or who complained: their sequences stop",
            timeout=Duration.seconds(30),
            memory_mb=256,
            environment=data.environment(data.platform_models),
            # EventBridge's retries cover only handing the event over; Lambda's cover the function failing.
            retry_attempts=2,
            on_failure=destinations.SqsDestination(self.dead_letter_queue),
        )
        data.grant(self.feedback.role, data.platform_models, write=True)
        self.rule = events.Rule(
            self,
            "FeedbackRule",
            rule_name=config.name("email-feedback"),
            description="SES bounces and complaints of this service's configuration set",
            event_pattern=events.EventPattern(
                source=["aws.ses"],
                detail_type=list(FEEDBACK_DETAIL_TYPES),
                detail={"mail": {"tags": {CONFIGURATION_SET_TAG: [name]}}},
            ),
        )
        self.rule.add_target(
            targets.LambdaFunction(
                self.feedback.function,
                dead_letter_queue=self.dead_letter_queue,
                retry_attempts=FEEDBACK_RETRY_ATTEMPTS,
                max_event_age=FEEDBACK_MAX_EVENT_AGE,
            )
        )
