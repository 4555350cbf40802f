"""Reading an Idempotency-Key back: an action that does more than queue a run (a retry releases items first)
must know before acting whether this request was already made."""

from __future__ import annotations

from functions.data.errors import storage_errors
from functions.data.models import IdempotencyModel, idempotency_key


def run_for_key(caller_sub: str, key: str) -> str | None:
    """The run a request with this key created, or None when the key is new."""
    with storage_errors("reading an idempotency key"):
        try:
            return IdempotencyModel.get(idempotency_key(caller_sub, key), consistent_read=True).run_id
        except IdempotencyModel.DoesNotExist:
            return None
