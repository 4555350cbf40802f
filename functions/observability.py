"""One Logger, Metrics and Tracer for every function, so run id and job correlate across all of them."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "devsphere-automation"
METRICS_NAMESPACE = "DevSphereAutomation"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
tracer = Tracer(service=SERVICE)


def bind_run(run_id: str, job: str) -> None:
    """Every log line after this carries the run id and job, which is what the run's log link filters on."""
    logger.append_keys(run_id=run_id, job=job)
