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
_FALSE = {"false", "0", "no"}
# The retention periods CloudWatch Logs accepts, in days; anything longer is kept forever.
_LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class StageConfig:
    stage: str
    sender_email: str
    retention_days: int
    alert_emails: tuple[str, ...] = ()
    # A plain deploy must ship working functions; only tests and offline synths opt out.
    bundle_dependencies: bool = True

    def __post_init__(self) -> None:
        if not _STAGE_PATTERN.match(self.stage):
            raise ConfigError(f"stage '{self.stage}' must match {_STAGE_PATTERN.pattern}")
        for label, email in (
            ("senderEmail", self.sender_email),
            *(("alertEmail", email) for email in self.alert_emails),
        ):
            if not _EMAIL_PATTERN.match(email):
                raise ConfigError(f"{label} '{email}' is not an email address")
        if self.is_production and not self.alert_emails:
            raise ConfigError("the prod stage needs alertEmail: without it no alarm reaches anyone")
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

    @property
    def log_retention_days(self) -> int | None:
        """retentionDays rounded up to what CloudWatch accepts (None: forever), so a run's log link lives
        as long as the run it belongs to."""
        return next((days for days in _LOG_RETENTION_DAYS if days >= self.retention_days), None)

    @classmethod
    def from_context(cls, node: Node) -> StageConfig:
        """Context keys: stage, alertEmail (comma-separated for several), senderEmail, retentionDays,
        bundleDependencies ("false" to leave the dependencies out: tests and offline synths) (-c key=value).
        """
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
            alert_emails=tuple(
                email.strip() for email in str(read("alertEmail") or "").split(",") if email.strip()
            ),
            bundle_dependencies=str(read("bundleDependencies")).lower() not in _FALSE,
        )
