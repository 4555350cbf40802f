"""The link from a retried run to the runs that retry it (the retry's own `retry_of` is written with it)."""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException

from functions.data.errors import is_condition_failure, storage_errors
from functions.data.models import RunModel
from functions.data.retry import Backoff


def note_retry(retried_run_id: str, new_run_id: str, backoff: Backoff) -> None:
    """Adds `new_run_id` to the retried run's `retried_by`, once: a repeat after a lost answer finds it there
    (a false condition) instead of adding it twice."""
    append = RunModel.retried_by.set((RunModel.retried_by | []).append([new_run_id]))
    not_noted = RunModel.run_id.exists() & ~RunModel.retried_by.contains(new_run_id)

    def attempt() -> None:
        with storage_errors(f"linking run {retried_run_id} to its retry"):
            try:
                RunModel(retried_run_id).update(actions=[append], condition=not_noted)
            except PynamoDBException as error:
                if not is_condition_failure(error):
                    raise

    backoff.call(f"linking run {retried_run_id} to its retry", attempt)
