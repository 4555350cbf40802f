"""Domain exceptions raised by the data-access layer; the API maps each to one HTTP status."""

from __future__ import annotations


class DataError(Exception):
    """Base for everything the data layer raises instead of an SDK error."""


class NotFoundError(DataError):
    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} '{key}' was not found")
        self.kind = kind
        self.key = key


class JobBusyError(DataError):
    """Another run of the job holds its lock; carries that run's id so callers can point at it."""

    def __init__(self, job: str, blocking_run_id: str | None) -> None:
        super().__init__(f"job '{job}' already has a run in flight: {blocking_run_id}")
        self.job = job
        self.blocking_run_id = blocking_run_id


class DuplicateTickError(DataError):
    """The schedule tick was already recorded: a redelivery, which must not start a second run."""

    def __init__(self, job: str, scheduled_for: str, run_id: str | None) -> None:
        super().__init__(f"tick {scheduled_for} of job '{job}' was already handled by run {run_id}")
        self.run_id = run_id


class StaleRunError(DataError):
    """The run is no longer in the state the caller expected (already finished, or not this segment)."""


class StorageError(DataError):
    """DynamoDB refused or failed a request for a reason the caller cannot fix."""


class ScheduleError(DataError):
    """EventBridge Scheduler refused or failed a request (other than a missing schedule)."""
