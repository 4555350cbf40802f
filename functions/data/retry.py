"""Retrying a write whose outcome DynamoDB did not decide, with backoff, inside a bounded time budget.

botocore already retries each request a few times; this is the layer above it, for the run-lifecycle writes
whose loss would make a run lie (its outcome, its lock, its start). When the budget is spent the error is
raised: the invocation fails loudly and Lambda's retries, the failure recorder and its dead-letter queue take
over. A write that needs a decision never turns an undecided answer into "someone else did it".
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from functions.data.errors import TransientStorageError
from functions.observability import logger

_T = TypeVar("_T")


@dataclass
class Backoff:
    """Full-jitter exponential backoff: `attempts` tries, sleeping at most `budget` seconds in all."""

    attempts: int = 6
    base: float = 0.1
    cap: float = 2.0
    budget: float = 8.0
    # Looked up when needed (time.sleep by default), so tests can drive it from their clock.
    sleep: Callable[[float], None] | None = None
    jitter: Callable[[float, float], float] = field(default=random.uniform)

    def call(self, action: str, write: Callable[[], _T]) -> _T:
        slept = 0.0
        for attempt in range(1, self.attempts + 1):
            try:
                return write()
            except TransientStorageError as error:
                delay = self.jitter(0, min(self.cap, self.base * 2 ** (attempt - 1)))
                if attempt == self.attempts or slept + delay > self.budget:
                    logger.error(
                        "write still undecided after retries",
                        extra={"action": action, "attempts": attempt, "error": str(error)},
                    )
                    raise
                logger.warning(
                    "write undecided; retrying",
                    extra={"action": action, "attempt": attempt, "error": str(error)},
                )
                (self.sleep or time.sleep)(delay)
                slept += delay
        raise AssertionError("unreachable: the last attempt returns or raises")
