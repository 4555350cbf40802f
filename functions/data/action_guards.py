"""What an admin action that does more than queue a run checks first, read strongly consistent: whether the
job has a run in flight (a retry refuses before it releases anything), and whether this very request (its
Idempotency-Key) was already made."""

from __future__ import annotations

from datetime import datetime

from functions.data.errors import storage_errors
from functions.data.models import IdempotencyModel, JobStateModel, idempotency_key, job_state_key
from functions.data.run_fencing import LEASE_SKEW


def run_for_key(caller_sub: str, key: str) -> str | None:
    """The run a request with this key created, or None when the key is new."""
    with storage_errors("reading an idempotency key"):
        try:
            return IdempotencyModel.get(idempotency_key(caller_sub, key), consistent_read=True).run_id
        except IdempotencyModel.DoesNotExist:
            return None


def run_in_flight(job: str, now: datetime) -> str | None:
    """The run holding the job's lock, by the same test as taking it (`lock_is_free`); None when free."""
    with storage_errors("reading the job's lock"):
        try:
            state = JobStateModel.get(job_state_key(job), consistent_read=True)
        except JobStateModel.DoesNotExist:
            return None
    lapsed = state.lock_expires_at is not None and state.lock_expires_at < now - LEASE_SKEW
    return None if lapsed else state.lock_run_id
