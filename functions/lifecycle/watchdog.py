"""The watchdog: marks runs stuck past their deadline, writes a MISSED row for each tick that never ran,
computes each job's health, and records each incident, alerting once when it opens and when it ends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from functions.catalog import JobDefinition
from functions.clock import isoformat
from functions.data.errors import NotFoundError, StaleRunError, TransientStorageError
from functions.data.incidents import IncidentOpening, incident_kind
from functions.data.models import JobStateModel
from functions.data.run_fencing import Fence, cancel_requested
from functions.data.run_log import RunLog
from functions.data.run_types import Outcome, RunError, Unconfirmed
from functions.data.vocabulary import Health, RunStatus
from functions.ids import tick_run_id
from functions.lifecycle.alerts import AlertSink
from functions.lifecycle.health import compute_health, incident_of
from functions.lifecycle.missed import missed_text, record_missed_ticks
from functions.lifecycle.status import late_tick
from functions.lifecycle.views import SUMMARY_LENGTH, error_summary
from functions.observability import METRICS_NAMESPACE, SERVICE, logger
from functions.settings import get_settings

# Lambda stops an invocation at its deadline; past this margin nobody is coming back to finish the run.
STUCK_GRACE = timedelta(minutes=2)


def _close_overdue(job: JobDefinition, run_log: RunLog, now: datetime) -> list[str]:
    """Closes every QUEUED or RUNNING run of the job whose deadline passed by more than STUCK_GRACE, lock or
    no lock: found through the job's status partitions, never a Scan."""
    closed = []
    for run in run_log.in_flight_runs(job.name):
        deadline = run.deadline_at
        if deadline is None or now <= deadline + STUCK_GRACE:
            continue
        if run.status == RunStatus.QUEUED.value:
            status = RunStatus.FAILED
            error = RunError(
                "NeverStarted", "the run was queued but its function never picked it up", where="watchdog"
            )
        else:
            status = RunStatus.TIMED_OUT
            error = RunError(
                "TimedOut", f"no outcome was recorded by {isoformat(deadline)}", where="watchdog"
            )
        cancel = cancel_requested(run)
        if cancel is not None:
            # An admin asked it to stop: it did stop, only without saying so; failing the job would be a lie.
            status = RunStatus.CANCELLED
            error = RunError(
                "Cancelled",
                f"{cancel.reason_text}; then {error.message[:1].lower()}{error.message[1:]}",
                where="watchdog",
            )
        unconfirmed = [Unconfirmed(**values) for values in run.unconfirmed_values()]
        outcome = Outcome(status, run.count_values(), run.item_error_values(), error, unconfirmed)
        try:
            run_log.finish(run.run_id, outcome, now, Fence.overdue(deadline))
        except StaleRunError:
            continue  # it finished, or a continuation extended its deadline, since the index was read
        logger.warning(
            "stuck run marked", extra={"job": job.name, "run_id": run.run_id, "status": status.value}
        )
        closed.append(run.run_id)
    return closed


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
    undecided: list[str] = []
    for job in jobs:
        try:
            report[job.name] = _watch_job(job, states[job.name], run_log, alerts, now)
        except TransientStorageError as error:
            # One job's fault must not blind the watchdog to the others; the pass still fails loudly below.
            logger.error("watchdog could not finish a job", extra={"job": job.name, "error": str(error)})
            undecided.append(job.name)
    if undecided:
        raise WatchdogIncompleteError(f"storage faults outlasted their retries for: {', '.join(undecided)}")
    return report


class WatchdogIncompleteError(Exception):
    """Some job could not be checked this pass: the invocation fails so its Errors alarm fires."""


def _watch_job(
    job: JobDefinition, state: JobStateModel, run_log: RunLog, alerts: AlertSink, now: datetime
) -> dict[str, Any]:
    marked = _close_overdue(job, run_log, now)
    settings = get_settings()
    missed = record_missed_ticks(
        job, state, run_log, now, settings.resource_prefix, timedelta(days=settings.retention_days)
    )
    if marked:
        state = run_log.get_state(job.name)
    late = late_tick(job, state, run_log, now)
    health = compute_health(state, now, late, tick_has_run=False)
    _emit_health(job.name, health)
    incident = incident_of(health, state)
    if incident != incident_kind(state.alert_incident):
        _move_incident(job, state, run_log, alerts, now, incident, health, late)
    return {"health": health.value, "incident": incident, "marked_stuck": marked, "missed": missed}


def _opening(
    job: JobDefinition, kind: str, state: JobStateModel, run_log: RunLog, late: datetime | None
) -> IncidentOpening:
    if kind == "LATE" and late is not None:
        summary = missed_text(job, late)
        return IncidentOpening(kind, summary, run_id=tick_run_id(job.name, late), missed_tick=late)
    run_id = state.last_run_id
    summary = f"Run {run_id} ended {state.last_run_status}"
    if run_id:
        try:
            text = error_summary(run_log.get_run(run_id))
        except NotFoundError:
            text = None
        summary += f": {text}" if text else ""
    return IncidentOpening(kind, summary[:SUMMARY_LENGTH], run_id=run_id)


def _move_incident(
    job: JobDefinition,
    state: JobStateModel,
    run_log: RunLog,
    alerts: AlertSink,
    now: datetime,
    incident: str | None,
    health: Health,
    late: datetime | None,
) -> None:
    """Records first, then only the pass whose record committed publishes (see functions.data.incidents)."""
    opening = _opening(job, incident, state, run_log, late) if incident else None
    previous = incident_kind(state.alert_incident)
    ended = f"turned {incident}" if incident else f"recovered: {health.value}"
    move = run_log.move_incident(job.name, state.alert_incident, opening, now, end_summary=ended)
    if not move.moved:
        return  # another pass moved it first and sent its alert
    body: dict[str, Any] = {
        "job": job.name,
        "health": health.value,
        "last_run_id": state.last_run_id,
        "last_run_status": state.last_run_status,
        "at": isoformat(now),
    }
    if move.opened is not None and opening is not None:
        subject = f"DevSphere Automation: {job.name} is {incident}"
        error = alerts.publish(
            subject,
            {
                **body,
                "incident": incident,
                "incident_id": move.opened.incident_id,
                "summary": opening.summary,
                "missed_tick": isoformat(late) if incident == "LATE" and late else None,
                "consecutive_failures": int(state.consecutive_failures or 0),
            },
        )
        run_log.note_alert(job.name, move.opened.sk, subject, now, error)
    elif incident is None:
        # The end of an incident is news too: whoever was paged learns it without having to look.
        subject = f"DevSphere Automation: {job.name} recovered ({health.value})"
        error = alerts.publish(subject, {**body, "recovered_from": previous})
        if move.closed is not None:
            run_log.note_alert(job.name, move.closed.sk, subject, now, error)
