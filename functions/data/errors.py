"""Domain exceptions raised by the data-access layer; the API maps each to one HTTP status."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pynamodb.exceptions import PynamoDBException


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


@contextmanager
def storage_errors(action: str) -> Iterator[None]:
    """Turns any pynamodb failure inside the block into a StorageError naming what was being done."""
    try:
        yield
    except PynamoDBException as error:
        raise StorageError(f"{action} failed: {error.cause_response_code or type(error).__name__}") from error


def is_condition_failure(error: PynamoDBException) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"
