"""The values the run log stores and the API shows."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    SKIPPED = "SKIPPED"
    # A schedule tick that started no run within its grace: written once by the watchdog, so the history has
    # no silent gap.
    MISSED = "MISSED"
    # An admin stopped the run; it ended at its next checkpoint with what it had done recorded.
    CANCELLED = "CANCELLED"

    @property
    def in_flight(self) -> bool:
        return self in (RunStatus.QUEUED, RunStatus.RUNNING)

    @property
    def is_failure(self) -> bool:
        return self in (RunStatus.FAILED, RunStatus.TIMED_OUT)


FINISHED_STATUSES = (RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.FAILED, RunStatus.TIMED_OUT)


class Trigger(StrEnum):
    SCHEDULE = "SCHEDULE"
    MANUAL = "MANUAL"


class Health(StrEnum):
    PAUSED = "PAUSED"
    RUNNING = "RUNNING"
    LATE = "LATE"
    FAILING = "FAILING"
    DEGRADED = "DEGRADED"
    HEALTHY = "HEALTHY"
    NEW = "NEW"


COUNT_NAMES = ("processed", "succeeded", "failed", "skipped")
