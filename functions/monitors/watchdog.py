"""Scheduled every few minutes: nobody should have to look to learn that a job did not run."""

from __future__ import annotations

from typing import Any

from functions.catalog import CATALOG
from functions.clock import SYSTEM_CLOCK
from functions.data.run_log import RunLog
from functions.lifecycle.alerts import SnsAlerts
from functions.lifecycle.watchdog import watch
from functions.observability import logger, metrics, tracer
from functions.settings import get_settings


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = get_settings()
    report = watch(
        CATALOG, RunLog(settings.retention_days), SnsAlerts(settings.alert_topic_arn), SYSTEM_CLOCK.now()
    )
    logger.info("watchdog pass", extra={"report": report})
    return report
