"""Reads and writes of platform records for the automations and the importer; SDK errors become domain errors.

Nothing here scans: due work comes from the due index, lists from the list index, everything else by key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from functions.clock import isoformat
from functions.data.errors import DataError, is_condition_failure, storage_errors
from functions.data.platform import DueRecord, PlatformItem

_Item = TypeVar("_Item", bound=PlatformItem)
_Due = TypeVar("_Due", bound=DueRecord)

MAX_ERROR_TEXT = 500


class RecordChangedError(DataError):
    """The record changed after it was read (another writer, or a stale index copy): the write was refused."""

    def __init__(self, record: PlatformItem) -> None:
        super().__init__(f"{record.pk} changed since it was read")
        self.pk = record.pk


@dataclass(frozen=True)
class Page(Generic[_Item]):
    items: list[_Item]
    # DynamoDB's LastEvaluatedKey: where the next page starts, None when there is no next page.
    last_key: dict[str, Any] | None


def due_page(model: type[_Due], as_of: datetime, start_key: dict[str, Any] | None, limit: int) -> Page[_Due]:
    """At most `limit` records of `model` due at `as_of`, oldest due first, from `start_key` on."""
    with storage_errors("reading due records"):
        results = model.due_index.query(
            model.bucket.value,
            model.due_at <= isoformat(as_of),
            limit=limit,
            page_size=limit,
            last_evaluated_key=start_key,
        )
        items = cast(list[_Due], list(results))
        return Page(items, results.last_evaluated_key)


def get_many(model: type[_Item], ids: Iterable[str]) -> dict[str, _Item]:
    """Records by id in batched reads; ids that do not exist are simply absent from the result."""
    keys = sorted({model.key(record_id) for record_id in ids})
    if not keys:
        return {}
    with storage_errors("reading records"):
        # Strongly consistent: a contact who just replied or unsubscribed is seen as such before a send.
        return {record.id: record for record in model.batch_get(keys, consistent_read=True)}


def get_one(model: type[_Item], record_id: str) -> _Item | None:
    return get_many(model, [record_id]).get(record_id)


def listed(model: type[_Item], list_key: str, low: str | None = None, high: str | None = None) -> list[_Item]:
    """Records of one list, in sort-key order; with `low` and `high`, only sort keys within [low, high]."""
    condition = model.list_sort.between(low, high) if low is not None and high is not None else None
    with storage_errors("listing records"):
        return cast(list[_Item], list(model.list_index.query(list_key, condition)))


def update(record: PlatformItem, actions: list[Action], condition: Condition | None = None) -> None:
    """Applies `actions` only if the record is still the version that was read (and `condition` holds); else
    RecordChangedError."""
    with storage_errors(f"updating {record.pk}"):
        try:
            record.update(actions=actions, condition=condition)
        except PynamoDBException as error:
            if is_condition_failure(error):
                raise RecordChangedError(record) from error
            raise


def force_update(record: PlatformItem, actions: list[Action]) -> None:
    """Applies `actions` whatever the stored version (counters and flags that must not be lost)."""
    with storage_errors(f"updating {record.pk}"):
        record.update(actions=actions, add_version_condition=False)


def begin_attempt(record: DueRecord, run_id: str, now: datetime) -> None:
    """Records which run is acting on the record, if it is still the version read; else RecordChangedError."""
    model = type(record)
    update(record, [model.last_attempt_at.set(now), model.last_attempt_run.set(run_id)])


def note_failure(record: DueRecord, reason: str, now: datetime) -> int:
    """Counts a failed attempt on the record, keeps the reason visible, and returns the attempts so far."""
    model = type(record)
    force_update(
        record,
        [
            model.failures.add(1),
            model.last_error.set(reason[:MAX_ERROR_TEXT]),
            model.last_failed_at.set(now),
        ],
    )
    return int(record.failures)


def save_all(records: Sequence[PlatformItem]) -> None:
    """Writes whole records in batches (the importer): last writer wins, as a file import should."""
    if not records:
        return
    with storage_errors("writing records"), PlatformItem.batch_write() as batch:
        for record in records:
            batch.save(record)
