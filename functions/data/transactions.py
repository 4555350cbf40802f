"""Committing a DynamoDB transaction so that "a condition failed" is never confused with "the call failed"."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from functions.data.errors import DataError, response_code, storage_error

_CONDITION_FAILED = "ConditionalCheckFailed"


class ConditionRefusedError(DataError):
    """DynamoDB evaluated the transaction and a condition was false: a decision, not a fault.

    `refused` maps the position of each refused item to its stored copy (when it exists). pynamodb sends
    condition checks, then deletes, then puts, then updates, each group in the order they were added: the
    positions callers test follow that order.
    """

    def __init__(self, action: str, refused: dict[int, dict[str, Any] | None]) -> None:
        super().__init__(f"{action}: condition failed on item(s) {sorted(refused)}")
        self.refused = refused

    def at(self, position: int) -> bool:
        return position in self.refused

    def stored(self, position: int, name: str) -> str | None:
        raw = self.refused.get(position)
        if not raw or name not in raw:
            return None
        value = raw[name].get("S")
        return str(value) if value is not None else None


def commit(transaction: TransactWrite, action: str) -> None:
    """Raises ConditionRefusedError for a false condition, TransientStorageError when DynamoDB did not decide
    (throttling, a conflicting transaction, a 5xx, a timeout), StorageError otherwise."""
    try:
        with transaction:
            pass
    except TransactWriteError as error:
        reasons = error.cancellation_reasons if response_code(error) == "TransactionCanceledException" else []
        refused = {
            position: reason.raw_item
            for position, reason in enumerate(reasons or [])
            if reason is not None and reason.code == _CONDITION_FAILED
        }
        if refused:
            raise ConditionRefusedError(action, refused) from error
        raise storage_error(action, error) from error
