"""Admins' marks on a run: a request to cancel it, a release of its unconfirmed emails.

Mixed into `RunLog`, whose retry policy (`_retrying`) and reads (`get_run`) they use. Each mark is
idempotent under a lost answer: a retry recognises its own mark (same admin, same instant).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.update import Action

from functions.data.errors import is_condition_failure, storage_errors
from functions.data.models import CancelAttribute, ReleaseAttribute, RunModel
from functions.data.run_fencing import NotCancellableError
from functions.data.run_types import Caller
from functions.data.vocabulary import RunStatus


class RunMarks:
    def _retrying(self, action: str, write: Callable[[], Any]) -> Any:
        raise NotImplementedError

    def get_run(self, run_id: str) -> RunModel:
        raise NotImplementedError

    def request_cancel(self, run_id: str, caller: Caller, reason: str, now: datetime) -> RunModel:
        """Marks a QUEUED or RUNNING run to be cancelled; its runner ends it at its next checkpoint.

        Raises NotFoundError, or NotCancellableError naming the run's status (finished, or a cancel pending).
        """
        mark = CancelAttribute(by=caller.to_attribute(), at=now, reason=reason)
        in_flight = RunModel.status.is_in(RunStatus.QUEUED.value, RunStatus.RUNNING.value)

        def attempt() -> RunModel:
            run = RunModel(run_id)
            with storage_errors(f"cancelling run {run_id}"):
                try:
                    run.update(
                        actions=[RunModel.cancel.set(mark)],
                        condition=in_flight & RunModel.cancel.does_not_exist(),
                    )
                except PynamoDBException as error:
                    if not is_condition_failure(error):
                        raise
                    return self._explain_cancel_refusal(run_id, caller, now)
            return run

        result: RunModel = self._retrying(f"cancelling run {run_id}", attempt)
        return result

    def _explain_cancel_refusal(self, run_id: str, caller: Caller, now: datetime) -> RunModel:
        run = self.get_run(run_id)
        cancel = run.cancel
        if cancel is not None and cancel.by.sub == caller.sub and cancel.at == now:
            return run  # this very mark landed on an earlier attempt whose answer was lost
        pending = cancel is not None and RunStatus(run.status).in_flight
        by = (cancel.by.username or cancel.by.sub) if cancel is not None and pending else None
        raise NotCancellableError(run_id, run.status, by)

    def record_release(
        self, run_id: str, caller: Caller, reason: str, claims: list[str], now: datetime
    ) -> None:
        """Appends an admin's release of unconfirmed emails to the run: the audit record of who, when, why."""
        entry = ReleaseAttribute(by=caller.to_attribute(), at=now, reason=reason, claims=claims)
        run = self.get_run(run_id)
        self._retrying(
            f"recording a release on run {run_id}",
            lambda: _update_run(run, [RunModel.releases.set((RunModel.releases | []).append([entry]))]),
        )


def _update_run(run: RunModel, actions: list[Action]) -> None:
    with storage_errors(f"updating run {run.run_id}"):
        run.update(actions=actions)
