"""Alerts to operators through SNS: a late, failing or timed-out job should page, not wait to be seen."""

from __future__ import annotations

import json
from typing import Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from functions.observability import logger


class AlertSink(Protocol):
    def publish(self, subject: str, body: dict[str, Any]) -> str | None:
        """Sends the alert; returns why it was not sent, or None once the topic accepted it."""


class SnsAlerts:
    def __init__(self, topic_arn: str | None) -> None:
        self._topic_arn = topic_arn
        self._client: Any = None

    def publish(self, subject: str, body: dict[str, Any]) -> str | None:
        if not self._topic_arn:
            logger.warning("no alert topic configured; alert only logged", extra={"subject": subject, **body})
            return "no alert topic is configured: the alert was only logged"
        if self._client is None:
            self._client = boto3.client("sns")
        try:
            self._client.publish(
                TopicArn=self._topic_arn, Subject=subject[:100], Message=json.dumps(body, indent=2)
            )
        except (ClientError, BotoCoreError) as error:
            # A lost alert must not stop the watchdog marking other jobs; the CloudWatch alarm still fires,
            # and the incident records that this alert did not go out, so nobody reads it as sent.
            logger.exception("alert could not be published", extra={"subject": subject})
            return f"the alert topic refused it: {error}"[:500]
        return None
