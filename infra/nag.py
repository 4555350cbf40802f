"""cdk-nag: the AWS Solutions checks run on every synth, and each rule we accept is acknowledged with why."""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, CfnResource, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

# cdk-nag 3 reports its findings under this plugin prefix; an acknowledgment without it matches nothing.
_PLUGIN = "AwsSolutions"


def enable_checks(app: App) -> None:
    """Synthesis fails on any unacknowledged error finding."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Accepts `rule` (e.g. "AwsSolutions-IAM5[Resource::*]") for scope and everything beneath it."""
    if len(reason.split()) < 5:
        raise ValueError(f"acknowledging {rule} needs a reason someone can review, not {reason!r}")
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{_PLUGIN}::{rule}", reason=reason))


def arn_of(construct: IConstruct) -> str:
    """How cdk-nag names a resource's ARN in a finding, e.g. `<JobsWatchdogFunction7062C28B.Arn>`."""
    resource = construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource")
    return f"<{Stack.of(construct).resolve(resource.logical_id)}.Arn>"
