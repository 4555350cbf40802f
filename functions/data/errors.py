"""Domain exceptions raised by the data-access layer; the API maps each to one HTTP status."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError
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


class JobPausedError(DataError):
    """The job is paused in its state: a schedule tick that arrives anyway runs nothing."""

    def __init__(self, job: str, paused_by: str | None, reason: str | None) -> None:
        by = f" by {paused_by}" if paused_by else ""
        super().__init__(f"job '{job}' is paused{by}" + (f": {reason}" if reason else ""))
        self.job = job


class DuplicateTickError(DataError):
    """The schedule tick was already recorded: a redelivery, which must not start a second run."""

    def __init__(self, job: str, scheduled_for: str, run_id: str | None) -> None:
        super().__init__(f"tick {scheduled_for} of job '{job}' was already handled by run {run_id}")
        self.run_id = run_id


class StaleRunError(DataError):
    """The run is no longer in the state the caller expected (already finished, or not this segment)."""


class StorageError(DataError):
    """DynamoDB refused or failed a request for a reason the caller cannot fix."""


class TransientStorageError(StorageError):
    """DynamoDB did not decide (throttled, 5xx, a conflicting transaction, a timeout): the same write may work
    later. Never read as "the condition failed": the caller retries or fails loudly."""


class ScheduleError(DataError):
    """EventBridge Scheduler refused or failed a request (other than a missing schedule)."""


# Codes (of a whole request, or of one transaction item) that say "not decided, try again".
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ProvisionedThroughputExceeded",
        "ThrottlingException",
        "ThrottlingError",
        "Throttling",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "TransactionConflict",
        "TransactionConflictException",
        "TransactionInProgressException",
        "LimitExceededException",
    }
)


@contextmanager
def storage_errors(action: str) -> Iterator[None]:
    """Turns any pynamodb failure inside the block into a StorageError naming what was being done: a
    TransientStorageError when DynamoDB did not decide, so nobody mistakes a throttle for a refusal."""
    try:
        yield
    except PynamoDBException as error:
        raise storage_error(action, error) from error


def response_code(error: PynamoDBException) -> str | None:
    """DynamoDB's error code, or None when no answer came back. pynamodb's own `cause_response_code` raises
    AttributeError for a read timeout, whose `response` is None: exactly the fault that must be classified."""
    response = getattr(error.cause, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    return str(code) if code is not None else None


def storage_error(action: str, error: PynamoDBException) -> StorageError:
    code = response_code(error)
    kind = TransientStorageError if is_transient(error) else StorageError
    return kind(f"{action} failed: {code or type(error.cause or error).__name__}")


def is_transient(error: PynamoDBException) -> bool:
    """No answer at all (botocore's connection errors and timeouts carry no code) is as undecided as a
    throttle; an error raised by the library itself, with no call behind it, is not."""
    code = response_code(error)
    if code is None:
        return isinstance(error.cause, BotoCoreError)
    if code in TRANSIENT_CODES:
        return True
    if code == "TransactionCanceledException":
        reasons = [r.code for r in getattr(error, "cancellation_reasons", None) or [] if r is not None]
        return "ConditionalCheckFailed" not in reasons and any(r in TRANSIENT_CODES for r in reasons)
    return False


def is_condition_failure(error: PynamoDBException) -> bool:
    return response_code(error) == "ConditionalCheckFailedException"
