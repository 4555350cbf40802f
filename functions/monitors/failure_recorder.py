"""Consumes the job functions' on-failure destination: a crashed or timed-out run gets its outcome here."""

from __future__ import annotations

from typing import Any

from functions.clock import SYSTEM_CLOCK
from functions.data.run_log import RunLog
from functions.lifecycle.failures import record_destination_failure
from functions.observability import bind_run, logger, metrics, tracer
from functions.settings import get_settings


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    run = record_destination_failure(event, RunLog(get_settings().retention_days), SYSTEM_CLOCK.now())
    if run is None:
        logger.info("destination record needed no change", extra={"condition": event.get("requestContext")})
        return {"marked": None}
    bind_run(run.run_id, run.job)
    logger.error("run marked from destination record", extra={"status": run.status})
    return {"marked": run.run_id, "status": run.status}
