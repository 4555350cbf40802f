"""The per-job activity trail: every admin action — who, when, why — kept in the journal table.

An entry is written once: its key carries the time and an id made before the first attempt, so a retry after
a lost answer finds its own entry (a false condition) instead of writing it twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pynamodb.exceptions import PynamoDBException

from functions.data.errors import is_condition_failure, storage_errors
from functions.data.models import ActivityModel, activity_key, journal_sort_key
from functions.data.run_types import Caller


class Action(StrEnum):
    PAUSE = "PAUSE"
    RESUME = "RESUME"
    RUN_NOW = "RUN_NOW"
    RETRY = "RETRY"
    RELEASE_PARKED = "RELEASE_PARKED"
    RELEASE_UNCONFIRMED = "RELEASE_UNCONFIRMED"
    CANCEL = "CANCEL"


@dataclass(frozen=True)
class ActivityPage:
    entries: list[ActivityModel]
    before: str | None  # pass back to read older entries; None when there are none


class ActivityTrail:
    """Mixed into the run log: it shares its retry policy (`_retrying`) and retention (`_retention`)."""

    _retention: timedelta

    def _retrying(self, action: str, write: Callable[[], Any]) -> Any:
        raise NotImplementedError

    def record_activity(
        self,
        job: str,
        action: Action,
        caller: Caller,
        now: datetime,
        *,
        reason: str | None = None,
        run_id: str | None = None,
        detail: str | None = None,
    ) -> ActivityModel:
        entry = ActivityModel(
            activity_key(job),
            journal_sort_key(now, secrets.token_hex(6)),
            job=job,
            action=action.value,
            at=now,
            by=caller.to_attribute(),
            reason=reason,
            run_id=run_id,
            detail=detail,
            expires_at=now + self._retention,
        )

        def attempt() -> ActivityModel:
            with storage_errors(f"recording {action.value.lower()} on '{job}'"):
                try:
                    entry.save(condition=ActivityModel.sk.does_not_exist())
                except PynamoDBException as error:
                    if not is_condition_failure(error):
                        raise
                    # Only this entry's own earlier attempt can hold its random key: it landed.
            return entry

        result: ActivityModel = self._retrying(f"recording {action.value.lower()} on '{job}'", attempt)
        return result

    def list_activity(self, job: str, limit: int, before: str | None = None) -> ActivityPage:
        """Newest first; `before` is the `sk` of the last entry of the previous page."""
        condition = ActivityModel.sk < before if before else None
        with storage_errors("listing activity"):
            found = list(
                ActivityModel.query(activity_key(job), condition, scan_index_forward=False, limit=limit + 1)
            )
        page = found[:limit]
        return ActivityPage(page, page[-1].sk if len(found) > limit and page else None)
