"""Consumes the job functions' on-failure destination: a crashed or timed-out run gets its outcome here."""

from __future__ import annotations

from typing import Any

from functions.clock import SYSTEM_CLOCK
from functions.data.run_log import RunLog
from functions.lifecycle.failures import record_destination_failure
from functions.lifecycle.invoker import LambdaInvoker
from functions.observability import bind_run, logger, metrics, tracer
from functions.settings import get_settings


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Raises on a storage fault (and on a failed re-drive), so Lambda retries this record and then keeps
    it in the recorder's dead-letter queue instead of dropping it."""
    # A client per record: records are rare, and a re-drive must reach the endpoint configured now.
    decision = record_destination_failure(
        event, RunLog(get_settings().retention_days), SYSTEM_CLOCK.now(), LambdaInvoker().invoke_async
    )
    run = decision.run
    if run is not None:
        bind_run(run.run_id, run.job)
    log = logger.error if decision.action in ("marked", "crashed-tick") else logger.info
    log(
        "destination record handled",
        extra={"action": decision.action, "reason": decision.reason, "status": run.status if run else None},
    )
    return {
        "action": decision.action,
        "run_id": run.run_id if run else None,
        "status": run.status if run else None,
    }
