"""Run records as the API and the portal show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.clock import isoformat
from functions.data.models import ActivityModel, RunModel
from functions.data.vocabulary import RunStatus
from functions.lifecycle.errors import failures_by_reason, summarise_item_failures

SUMMARY_LENGTH = 300


def _time(moment: datetime | None) -> str | None:
    return isoformat(moment) if moment else None


def error_summary(run: RunModel) -> str | None:
    """One line for a list: the error's message, or for a run with failed items what failed and why."""
    if run.error:
        text = f"{run.error.type}: {run.error.message}"
    else:
        text = summarise_item_failures(run.item_error_values(), run.count_values().get("failed")) or ""
    if len(text) > SUMMARY_LENGTH:
        return text[: SUMMARY_LENGTH - 1] + "…"
    return text or None


def run_summary(run: RunModel) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "job": run.job,
        "status": run.status,
        "trigger": run.trigger,
        "scheduled_for": _time(run.scheduled_for),
        "queued_at": _time(run.queued_at),
        "started_at": _time(run.started_at),
        "finished_at": _time(run.finished_at),
        "duration_ms": int(run.duration_ms) if run.duration_ms is not None else None,
        "counts": run.count_values(),
        "error_type": run.error.type if run.error else None,
        "error_summary": error_summary(run),
        "triggered_by": run.caller.username if run.caller else None,
    }


def run_detail(run: RunModel, ran_late_as: str | None = None) -> dict[str, Any]:
    """`ran_late_as`: for a MISSED tick, the run its late delivery started (the tick's claim)."""
    detail = run_summary(run)
    detail.update(
        {
            "ran_late_as": ran_late_as,
            "deadline_at": _time(run.deadline_at),
            "expires_at": _time(run.expires_at),
            "segment": int(run.segment or 1),
            "cursor": run.cursor,
            "blocked_by": run.blocked_by,
            "skip_reason": run.skip_reason,
            "reason": run.reason,
            "caller": (
                {
                    "sub": run.caller.sub,
                    "username": run.caller.username,
                    "email": run.caller.email,
                    "groups": list(run.caller.groups or []),
                }
                if run.caller
                else None
            ),
            "error": (
                {
                    "type": run.error.type,
                    "message": run.error.message,
                    "stack": run.error.stack,
                    "where": run.error.where,
                }
                if run.error
                else None
            ),
            "item_errors": run.item_error_values(),
            "unconfirmed": run.unconfirmed_values(),
            "releases": [
                {
                    "by": release.by.username or release.by.sub,
                    "at": _time(release.at),
                    "reason": release.reason,
                    "claims": list(release.claims or []),
                }
                for release in run.releases or []
            ],
            "cancel": (
                {
                    "by": run.cancel.by.username or run.cancel.by.sub,
                    "at": _time(run.cancel.at),
                    "reason": run.cancel.reason,
                }
                if run.cancel
                else None
            ),
            "failures_by_reason": failures_by_reason(run.item_error_values()),
            "retry_of": run.retry_of,
            "retried_by": list(run.retried_by or []),
            "logs": (
                {
                    "log_group": run.logs.log_group,
                    "log_stream": run.logs.log_stream,
                    "request_id": run.logs.request_id,
                    "link": run.logs.link,
                }
                if run.logs
                else None
            ),
        }
    )
    return detail


def activity_view(entry: ActivityModel) -> dict[str, Any]:
    return {
        "action": entry.action,
        "at": isoformat(entry.at),
        "by": entry.by.username or entry.by.sub,
        "reason": entry.reason,
        "run_id": entry.run_id,
        "detail": entry.detail,
    }


def _problem_time(run: RunModel) -> datetime | None:
    # A MISSED row is written after its tick's grace: the tick is when the problem happened.
    if run.status == RunStatus.MISSED.value:
        return run.scheduled_for
    return run.finished_at or run.queued_at


def problem_view(run: RunModel) -> dict[str, Any]:
    """A job's last problem, enough to read before re-running: what, where, which items, and the logs."""
    return {
        "run_id": run.run_id,
        "status": run.status,
        "trigger": run.trigger,
        "at": _time(_problem_time(run)),
        "error_type": run.error.type if run.error else None,
        "message": error_summary(run) or run.status,
        "where": run.error.where if run.error else None,
        "failed_items": run.count_values().get("failed", 0),
        "failures_by_reason": failures_by_reason(run.item_error_values()),
        "logs_link": run.logs.link if run.logs else None,
    }
