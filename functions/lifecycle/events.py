"""The payloads a job function is invoked with: a schedule tick, a manual run, or a continuation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from functions.clock import isoformat, parse_iso
from functions.ids import is_run_id


class InvalidEventError(ValueError):
    pass


@dataclass(frozen=True)
class ScheduledInvocation:
    job: str
    scheduled_for: datetime
    execution_id: str | None

    @property
    def tick_key(self) -> str:
        # Normalised so that two spellings of one instant are the same tick.
        return isoformat(self.scheduled_for)


@dataclass(frozen=True)
class ManualInvocation:
    job: str
    run_id: str


@dataclass(frozen=True)
class ContinuationInvocation:
    job: str
    run_id: str
    segment: int


Invocation = ScheduledInvocation | ManualInvocation | ContinuationInvocation


def scheduled_payload(job: str, scheduled_time: str, execution_id: str) -> dict[str, str]:
    """The tick EventBridge Scheduler sends (infra fills in its context attributes); local sends it too."""
    return {"job": job, "trigger": "SCHEDULE", "scheduled_time": scheduled_time, "execution_id": execution_id}


def manual_payload(job: str, run_id: str) -> dict[str, str]:
    return {"job": job, "trigger": "MANUAL", "run_id": run_id}


def continuation_payload(job: str, run_id: str, segment: int) -> dict[str, Any]:
    return {"job": job, "trigger": "CONTINUATION", "run_id": run_id, "segment": segment}


def parse_invocation(event: Any) -> Invocation:
    if not isinstance(event, dict):
        raise InvalidEventError("the event is not a JSON object")
    job = event.get("job")
    if not isinstance(job, str) or not job:
        raise InvalidEventError("the event names no job")
    trigger = event.get("trigger")
    if trigger == "SCHEDULE":
        try:
            scheduled_for = parse_iso(str(event["scheduled_time"]))
        except (KeyError, ValueError) as error:
            raise InvalidEventError(f"scheduled_time is missing or not an ISO time: {error}") from None
        execution_id = event.get("execution_id")
        return ScheduledInvocation(job, scheduled_for, str(execution_id) if execution_id else None)
    run_id = event.get("run_id")
    if not isinstance(run_id, str) or not is_run_id(run_id):
        raise InvalidEventError(f"run_id is missing or malformed: {run_id!r}")
    if trigger == "MANUAL":
        return ManualInvocation(job, run_id)
    if trigger == "CONTINUATION":
        segment = event.get("segment")
        if not isinstance(segment, int) or segment < 2:
            raise InvalidEventError(f"segment must be an integer of at least 2, not {segment!r}")
        return ContinuationInvocation(job, run_id, segment)
    raise InvalidEventError(f"unknown trigger {trigger!r}")
