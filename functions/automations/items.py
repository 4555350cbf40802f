"""What every job shares: a page of due records behind an opaque cursor, sending through the ledger, and an
item failure counted on its record so the next run retries it, up to the job's limit, and then parks it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from functions.automations.delivery import (
    AttemptsExhaustedError,
    Delivery,
    DeliveryConfigurationError,
    DeliveryError,
    DeliveryUnconfirmedError,
    Email,
    SendOutcome,
)
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


class Sends:
    """One item's emails, settled together.

    A recipient's failure fails the item once every recipient was tried (the others' claims stay sent, so a
    retry does not repeat them); a send another run holds leaves the record alone; an item whose emails all
    went out before (a re-run after a crash) is only brought up to date.
    """

    def __init__(self, run: RunContext) -> None:
        self._run = run
        self.sent = 0
        self.in_flight = False
        self.problems: list[str] = []
        self.configuration: list[DeliveryConfigurationError] = []
        self.unconfirmed: list[DeliveryUnconfirmedError] = []

    def send(self, key: str, email: Email, recipient: str | None = None) -> None:
        """Sends once; with `recipient`, a delivery error is kept against it instead of raised."""
        try:
            outcome = send(self._run, key, email)
        except DeliveryUnconfirmedError as unconfirmed:
            # Kept apart: an unknown send is reported, never retried and never held against the item.
            self.unconfirmed.append(unconfirmed)
            return
        except DeliveryError as error:
            if recipient is None:
                raise
            self.problems.append(f"{recipient}: {type(error).__name__}: {error}")
            if isinstance(error, DeliveryConfigurationError):
                self.configuration.append(error)
            return
        self.sent += outcome is SendOutcome.SENT
        self.in_flight = self.in_flight or outcome is SendOutcome.IN_FLIGHT

    def settle(self, item: ItemScope, what: str, record: str, counter: str | None) -> bool:
        """Counts what went out; True when the record should now move on.

        `counter` is counted once when any email of the item went out; without one, the item's own work
        (a built report) is what counts, and finding its emails already sent is no reason to skip it.
        """
        item.count("emails_sent", self.sent)
        if self.configuration and len(self.configuration) == len(self.problems) and not self.unconfirmed:
            # One account problem, however many recipients hit it: the item reads as that one cause.
            first = self.configuration[0]
            raise DeliveryConfigurationError(first.fix, first.detail)
        if self.problems:
            # The item fails for its other recipients; its unknown sends are still listed on the run.
            for unconfirmed in self.unconfirmed:
                for claim in unconfirmed.claims:
                    self._run.note_unconfirmed(claim, item.key, str(unconfirmed))
            raise DeliveryError("; ".join(self.problems + [str(u) for u in self.unconfirmed]))
        if self.unconfirmed:
            claims = tuple(claim for u in self.unconfirmed for claim in u.claims)
            raise DeliveryUnconfirmedError(claims, "; ".join(str(u) for u in self.unconfirmed))
        if self.in_flight:
            item.skip(f"another run is sending this {what}")
            return False
        if counter is None:
            return True
        if self.sent:
            item.count(counter)
        else:
            item.skip(f"this {what} was sent before; the {record} is brought up to date")
        return True


def act_on(
    run: RunContext, key: str, record: DueRecord, park: Callable[[], None], act: Callable[[ItemScope], None]
) -> None:
    """One item of the run: `act` on `record` as read from the due index.

    The attempt is first recorded on the record, conditional on its version, so a copy the index returned
    just before the record changed (stopped, snoozed, paused) is skipped rather than acted on. A failure is
    counted on the record; at the job's limit `park` ends its due work.
    """
    with run.item(key) as item:
        try:
            platform_store.begin_attempt(record, run.run_id, run.now())
            act(item)
        except RecordChangedError as changed:
            item.skip(f"{changed}; the next run acts on the current version")
        except DeliveryUnconfirmedError as unconfirmed:
            for claim in unconfirmed.claims:
                run.note_unconfirmed(claim, item.key, str(unconfirmed))
            raise
        except Exception as error:
            _count_failure(run, item, record, error, park)
            raise


def unreadable(run: RunContext, record: DueRecord, error: Exception) -> None:
    """A record the job cannot even plan for (a bad time zone, date or schedule) fails as an item of its own,
    counted like any failure, and at the limit leaves the due work with its error visible on it."""

    def fail(item: ItemScope) -> None:
        raise error

    model = type(record)
    leave = partial(platform_store.force_update, record, model.due_actions(None))
    act_on(run, f"{record.bucket.value}:{record.id}", record, leave, fail)


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
