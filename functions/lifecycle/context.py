"""What a job sees of its run: who it is, the clock, and a way to record each item's outcome."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from functions.catalog import JobDefinition
from functions.clock import Clock
from functions.data.run_types import MAX_ITEM_ERRORS, Outcome, Unconfirmed
from functions.data.vocabulary import COUNT_NAMES, RunStatus
from functions.lifecycle.errors import all_items_failed
from functions.observability import logger


class ItemScope:
    """One item's outcome inside `RunContext.item`: succeeded unless it raises, fails or is skipped."""

    def __init__(self, run: RunContext, key: str) -> None:
        self._run = run
        self.key = key
        self.outcome = "succeeded"
        self.reason: str | None = None

    def count(self, name: str, amount: int = 1) -> None:
        self._run.count(name, amount)

    def skip(self, reason: str) -> None:
        self.outcome, self.reason = "skipped", reason

    def fail(self, reason: str) -> None:
        self.outcome, self.reason = "failed", reason


class RunContext:
    def __init__(
        self,
        run_id: str,
        job: JobDefinition,
        clock: Clock,
        scheduled_for: datetime | None,
        counts: dict[str, int] | None = None,
        item_errors: list[dict[str, str]] | None = None,
        unconfirmed: list[dict[str, str]] | None = None,
    ) -> None:
        self.run_id = run_id
        self.job = job
        self.scheduled_for = scheduled_for
        self._clock = clock
        self.counts: dict[str, int] = dict.fromkeys(COUNT_NAMES, 0)
        self.counts.update({name: int(value) for name, value in (counts or {}).items()})
        self.item_errors: list[dict[str, str]] = list(item_errors or [])
        self.unconfirmed: list[Unconfirmed] = [Unconfirmed(**u) for u in unconfirmed or []]
        # Called after every item, outside the item's own error handling, so the runner can save progress
        # (and learn that the run was superseded) while a long page is still being worked.
        self.after_item: Callable[[], None] | None = None

    def now(self) -> datetime:
        return self._clock.now()

    def count(self, name: str, amount: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + amount

    @contextmanager
    def item(self, key: str) -> Iterator[ItemScope]:
        """Isolates one item: its exception is recorded against its key and the run goes on."""
        scope = ItemScope(self, key)
        self.count("processed")
        try:
            yield scope
        except Exception as error:
            logger.exception("item failed", extra={"item": key})
            scope.fail(f"{type(error).__name__}: {error}")
        self.count(scope.outcome)
        if scope.outcome == "failed":
            self._record_item_error(key, scope.reason or "failed")
        elif scope.outcome == "skipped":
            logger.info("item skipped", extra={"item": key, "reason": scope.reason})
        if self.after_item is not None:
            self.after_item()

    def note_unconfirmed(self, claim: str, item: str, reason: str) -> None:
        """An email that may have gone out: listed on the run, never resent until an admin releases it."""
        self.count("unconfirmed")
        if all(existing.claim != claim for existing in self.unconfirmed):
            self.unconfirmed.append(Unconfirmed(claim=claim, item=item, reason=reason[:500]))

    def _record_item_error(self, key: str, reason: str) -> None:
        if len(self.item_errors) < MAX_ITEM_ERRORS:
            self.item_errors.append({"key": key, "reason": reason[:500]})

    def outcome(self) -> Outcome:
        failed, succeeded = self.counts["failed"], self.counts["succeeded"]
        if failed == 0:
            return Outcome(
                RunStatus.SUCCEEDED, dict(self.counts), self.item_errors, unconfirmed=self.unconfirmed
            )
        if succeeded > 0:
            return Outcome(
                RunStatus.PARTIAL, dict(self.counts), self.item_errors, unconfirmed=self.unconfirmed
            )
        return Outcome(
            RunStatus.FAILED,
            dict(self.counts),
            self.item_errors,
            all_items_failed(self.item_errors, failed),
            self.unconfirmed,
        )
