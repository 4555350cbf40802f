"""The watchdog: marks runs stuck past their deadline, computes each job's health, alerts once an incident."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from functions.catalog import JobDefinition
from functions.clock import isoformat
from functions.data.errors import NotFoundError, StaleRunError
from functions.data.models import JobStateModel
from functions.data.run_log import Outcome, RunError, RunLog
from functions.data.vocabulary import Health, RunStatus
from functions.lifecycle.alerts import AlertSink
from functions.lifecycle.health import incident_of
from functions.lifecycle.status import health_of
from functions.observability import METRICS_NAMESPACE, SERVICE, logger

# Lambda stops an invocation at its deadline; past this margin nobody is coming back to finish the run.
STUCK_GRACE = timedelta(minutes=2)


def _mark_stuck(job: JobDefinition, state: JobStateModel, run_log: RunLog, now: datetime) -> str | None:
    run_id = state.lock_run_id
    if not run_id or not state.lock_expires_at or now <= state.lock_expires_at + STUCK_GRACE:
        return None
    try:
        run = run_log.get_run(run_id)
    except NotFoundError:
        run_log.release_lock(job.name, run_id)
        return None
    if run.status == RunStatus.QUEUED.value:
        status = RunStatus.FAILED
        error = RunError(
            "NeverStarted", "the run was queued but its function never picked it up", where="watchdog"
        )
    else:
        status = RunStatus.TIMED_OUT
        deadline = isoformat(run.deadline_at) if run.deadline_at else "its deadline"
        error = RunError("TimedOut", f"no outcome was recorded by {deadline}", where="watchdog")
    outcome = Outcome(status, run.count_values(), run.item_error_values(), error)
    try:
        run_log.finish(run_id, outcome, now, [RunStatus.QUEUED, RunStatus.RUNNING])
    except StaleRunError:
        run_log.release_lock(job.name, run_id)
        return None
    logger.warning("stuck run marked", extra={"job": job.name, "run_id": run_id, "status": status.value})
    return run_id


def _emit_health(job: str, health: Health) -> None:
    """One EMF document per job: a 0/1 series per health, so alarms see "not late" as well as "late"."""
    job_metrics = EphemeralMetrics(namespace=METRICS_NAMESPACE, service=SERVICE)
    job_metrics.add_dimension(name="job", value=job)
    for candidate in Health:
        job_metrics.add_metric(
            name=f"Health{candidate.value.title()}", unit=MetricUnit.Count, value=int(candidate is health)
        )
    job_metrics.flush_metrics()


def watch(jobs: Sequence[JobDefinition], run_log: RunLog, alerts: AlertSink, now: datetime) -> dict[str, Any]:
    report: dict[str, Any] = {}
    names = [job.name for job in jobs]
    states = run_log.get_states(names)
    untracked = [name for name in names if states[name].tracking_since is None]
    if untracked:
        # First sight of a job: ticks before now were never owed a run.
        for name in untracked:
            run_log.ensure_tracking(name, now)
        states = run_log.get_states(names)
    for job in jobs:
        state = states[job.name]
        marked = _mark_stuck(job, state, run_log, now)
        if marked:
            state = run_log.get_state(job.name)
        health = health_of(job, state, run_log, now)
        _emit_health(job.name, health)
        incident = incident_of(health, state)
        if incident and incident != state.alert_incident:
            alerts.publish(
                f"DevSphere Automation: {job.name} is {incident}",
                {
                    "job": job.name,
                    "incident": incident,
                    "health": health.value,
                    "last_run_id": state.last_run_id,
                    "last_run_status": state.last_run_status,
                    "consecutive_failures": int(state.consecutive_failures or 0),
                    "at": isoformat(now),
                },
            )
            run_log.set_alert_incident(job.name, incident)
        elif incident is None and state.alert_incident:
            run_log.set_alert_incident(job.name, None)
        report[job.name] = {"health": health.value, "incident": incident, "marked_stuck": marked}
    return report
