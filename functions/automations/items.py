"""What every job shares: a page of due records behind an opaque cursor, sending through the ledger, and an
item failure counted on its record so the next run retries it, up to the job's limit, and then parks it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from functions.automations.delivery import AttemptsExhaustedError, Delivery, Email, SendOutcome
from functions.catalog import JobDefinition
from functions.clock import isoformat, parse_iso
from functions.data import platform_store
from functions.data.errors import DataError
from functions.data.platform import DueRecord
from functions.data.platform_store import RecordChangedError
from functions.lifecycle.context import ItemScope, RunContext
from functions.observability import logger

_Due = TypeVar("_Due", bound=DueRecord)

DELIVERY = Delivery()

# Where a record or its owner names no time zone, calendar dates and local times are read in this one.
DEFAULT_TIMEZONE = "Europe/London"


class MissingRecordError(LookupError):
    """A record this item needs (an owner, a sequence) does not exist."""


@dataclass(frozen=True)
class Position:
    # Fixed at the run's first page, so records a page moves to "later" are not picked up again by this run.
    as_of: datetime
    start_key: dict[str, Any] | None


def encode_cursor(as_of: datetime, last_key: dict[str, Any] | None) -> str | None:
    if last_key is None:
        return None
    text = json.dumps({"as_of": isoformat(as_of), "key": last_key}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(cursor: str | None, now: datetime) -> Position:
    if cursor is None:
        return Position(as_of=now, start_key=None)
    data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    return Position(as_of=parse_iso(data["as_of"]), start_key=data["key"])


def due_records(
    run: RunContext, cursor: str | None, model: type[_Due], page_size: int
) -> tuple[list[_Due], str | None]:
    """One page of records due at the run's start, and the cursor of the next page (None after the last)."""
    position = decode_cursor(cursor, run.now())
    page = platform_store.due_page(model, position.as_of, position.start_key, page_size)
    return page.items, encode_cursor(position.as_of, page.last_key)


def max_attempts(job: JobDefinition) -> int:
    """The first attempt plus the job's retries."""
    return 1 + job.item_retry_limit


def send(run: RunContext, key: str, email: Email) -> SendOutcome:
    # A claim's lease is the job's whole timeout: past it, the invocation that took the claim is gone.
    return DELIVERY.send_once(key, email, run, run.job.timeout, max_attempts(run.job))


@contextmanager
def acting_on(run: RunContext, key: str, record: DueRecord, park: Callable[[], None]) -> Iterator[ItemScope]:
    """One item of the run. A failure is counted on `record`; at the limit `park` ends its due work."""
    with run.item(key) as item:
        try:
            yield item
        except RecordChangedError as changed:
            item.skip(f"{changed}; the next run acts on the current version")
        except Exception as error:
            _count_failure(run, item, record, error, park)
            raise


def _count_failure(
    run: RunContext, item: ItemScope, record: DueRecord, error: Exception, park: Callable[[], None]
) -> None:
    try:
        attempts = platform_store.note_failure(record, f"{type(error).__name__}: {error}", run.now())
        if attempts >= max_attempts(run.job) or isinstance(error, AttemptsExhaustedError):
            park()
            item.count("items_parked")
            logger.warning(
                "item parked after its last attempt", extra={"item": item.key, "attempts": attempts}
            )
    except DataError:
        # The item fails either way; its own error is the one worth reporting.
        logger.exception("could not record the failure of an item", extra={"item": item.key})


def local_time(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%a %d %b %Y %H:%M %Z")


def in_days(days: int) -> str:
    if days == 0:
        return "today"
    return "in 1 day" if days == 1 else f"in {days} days"
