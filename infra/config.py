"""What one deployment is: its stage and the few settings that differ per stage, read from CDK context."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from aws_cdk import RemovalPolicy
from constructs import Node

from functions.settings import DEFAULT_PREFIX, Settings, get_settings

DEFAULT_STAGE = "dev"
PRODUCTION_STAGE = "prod"
# Short and lower-case: the stage ends up in function, table, schedule and alarm names (64-character limits).
_STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE = {"true", "1", "yes"}


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class StageConfig:
    stage: str
    sender_email: str
    retention_days: int
    alert_email: str | None = None
    bundle_dependencies: bool = False

    def __post_init__(self) -> None:
        if not _STAGE_PATTERN.match(self.stage):
            raise ConfigError(f"stage '{self.stage}' must match {_STAGE_PATTERN.pattern}")
        for label, email in (("senderEmail", self.sender_email), ("alertEmail", self.alert_email)):
            if email is not None and not _EMAIL_PATTERN.match(email):
                raise ConfigError(f"{label} '{email}' is not an email address")
        if self.retention_days < 1:
            raise ConfigError("retentionDays must be at least 1")

    @property
    def prefix(self) -> str:
        # The default stage keeps the functions' default prefix, so its names match what they assume unset.
        return DEFAULT_PREFIX if self.stage == DEFAULT_STAGE else f"{DEFAULT_PREFIX}-{self.stage}"

    @property
    def settings(self) -> Settings:
        """The functions' own naming rules (function, schedule and group names) applied to this stage."""
        return replace(get_settings(), resource_prefix=self.prefix)

    def name(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"

    @property
    def is_production(self) -> bool:
        return self.stage == PRODUCTION_STAGE

    @property
    def removal_policy(self) -> RemovalPolicy:
        return RemovalPolicy.RETAIN if self.is_production else RemovalPolicy.DESTROY

    @classmethod
    def from_context(cls, node: Node) -> StageConfig:
        """Context keys: stage, alertEmail, senderEmail, retentionDays, bundleDependencies (-c key=value)."""
        defaults = get_settings()

        def read(key: str) -> Any:
            value = node.try_get_context(key)
            return None if value in (None, "") else value

        stage = str(read("stage") or DEFAULT_STAGE)
        if stage == PRODUCTION_STAGE and read("senderEmail") is None:
            # The placeholder sender is no address SES can verify: every email of a prod deploy would fail.
            raise ConfigError(
                f"stage '{stage}' needs -c senderEmail=<address you can receive mail at>; the stack creates "
                "its SES identity and SES emails that address a verification link"
            )
        return cls(
            stage=stage,
            sender_email=str(read("senderEmail") or defaults.sender_email),
            retention_days=int(read("retentionDays") or defaults.retention_days),
            alert_email=read("alertEmail"),
            bundle_dependencies=str(read("bundleDependencies")).lower() in _TRUE,
        )
