"""Incident records: each LATE / FAILING / TIMED_OUT episode of a job, kept in the journal table.

Every write is fenced on the job state's `alert_incident`, which holds the open incident's sort key:
opening, closing or turning one kind into another is one transaction that also moves `alert_incident` from
the value the watchdog read to the new one. Of two passes at once only one commits; the other sees the state
move and sends nothing. A retry after a lost answer recognises its own write (the state holds its new key, or
the old incident carries its own close token) instead of reading it as another pass's.

Order: record, then publish, then note the alert on the incident. Only the pass whose transaction committed
publishes, so no incident is alerted twice, whatever the retries and concurrency. A crash between the commit
and the publish loses that one message: the incident still shows, with no alert noted, and the CloudWatch
alarms on HealthLate, RunsFailed and RunsTimedOut page independently. Publishing first would instead page
twice on every such crash, and a page repeated per retried pass is what an on-call admin learns to ignore.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import size
from pynamodb.transactions import TransactWrite

from functions.data.errors import TransientStorageError, is_condition_failure, storage_errors
from functions.data.models import (
    IncidentAlertAttribute,
    IncidentModel,
    JobStateModel,
    incident_key,
    job_state_key,
    journal_sort_key,
)
from functions.data.transactions import ConditionRefusedError, commit


@dataclass(frozen=True)
class IncidentOpening:
    """What opens an incident: its kind, a one-line summary and the run or missed tick that started it."""

    kind: str
    summary: str
    run_id: str | None = None
    missed_tick: datetime | None = None


@dataclass(frozen=True)
class IncidentMove:
    """What a move did: `moved` is False when another pass had moved the job's incident first."""

    moved: bool
    opened: IncidentModel | None = None
    closed: IncidentModel | None = None


@dataclass(frozen=True)
class IncidentPage:
    incidents: list[IncidentModel]
    before: str | None  # the `sk` to continue below; None on the last page


def incident_kind(alert_incident: str | None) -> str | None:
    """The kind of the open incident named on a job state (an older deployment stored the kind alone)."""
    if not alert_incident:
        return None
    if "#" not in alert_incident:
        return alert_incident
    return alert_incident.split("#", 1)[1].split("-", 1)[0]


def is_incident_key(alert_incident: str | None) -> bool:
    return bool(alert_incident) and "#" in (alert_incident or "")


class Incidents:
    """Mixed into the run log: it shares its retry policy, transactions and retention."""

    _retention: timedelta

    def _retrying(self, action: str, write: Callable[[], Any]) -> Any:
        raise NotImplementedError

    def _transaction(self) -> TransactWrite:
        raise NotImplementedError

    def get_incident(self, job: str, sk: str) -> IncidentModel | None:
        with storage_errors("reading an incident"):
            try:
                return IncidentModel.get(incident_key(job), sk, consistent_read=True)
            except IncidentModel.DoesNotExist:
                return None

    def open_incidents(self, states: Sequence[JobStateModel]) -> dict[str, IncidentModel]:
        """The open incident of each job whose state names one, by key (one read per such job)."""
        found: dict[str, IncidentModel] = {}
        for state in states:
            if is_incident_key(state.alert_incident):
                incident = self.get_incident(state.job, state.alert_incident or "")
                if incident is not None and incident.ended_at is None:
                    found[state.job] = incident
        return found

    def move_incident(
        self,
        job: str,
        current: str | None,
        opening: IncidentOpening | None,
        now: datetime,
        end_summary: str | None = None,
    ) -> IncidentMove:
        """Closes the open incident `current` (if any) and opens `opening` (if any) in one transaction, fenced
        on the state still naming `current`; an answer with `moved` False means another pass made it first."""
        new = None
        if opening is not None:
            new = IncidentModel(
                incident_key(job),
                journal_sort_key(now, f"{opening.kind}-{secrets.token_hex(6)}"),
                job=job,
                kind=opening.kind,
                started_at=now,
                run_id=opening.run_id,
                missed_tick=opening.missed_tick,
                summary=opening.summary,
                alerts=[],
                expires_at=now + self._retention,
            )
            new.incident_id = new.sk.split("#", 1)[1]
        closing = current if is_incident_key(current) else None
        token = secrets.token_hex(6)
        action = f"moving the incident of '{job}'"

        def attempt(with_old: bool) -> IncidentMove:
            transaction = self._transaction()
            if new is not None:
                transaction.save(new, condition=IncidentModel.sk.does_not_exist())
            state_condition = (
                JobStateModel.alert_incident == current
                if current
                else JobStateModel.alert_incident.does_not_exist()
            )
            transaction.update(
                JobStateModel(job_state_key(job)),
                actions=[
                    JobStateModel.job.set(job),
                    JobStateModel.alert_incident.set(new.sk)
                    if new is not None
                    else JobStateModel.alert_incident.remove(),
                ],
                condition=state_condition,
            )
            if with_old and closing:
                transaction.update(
                    IncidentModel(incident_key(job), closing),
                    actions=[
                        IncidentModel.ended_at.set(now),
                        IncidentModel.end_summary.set(end_summary or "ended"),
                        IncidentModel.closed_by.set(token),
                    ],
                    condition=IncidentModel.sk.exists() & IncidentModel.ended_at.does_not_exist(),
                )
            state_at = 1 if new is not None else 0
            try:
                commit(transaction, action)
            except ConditionRefusedError as refused:
                if refused.at(state_at):
                    return self._landed_before(job, closing, new, token)
                if with_old and refused.at(state_at + 1):
                    # The old record is gone (past its retention) or closed: move the state on without it.
                    return attempt(False)
                raise
            return IncidentMove(True, new, self.get_incident(job, closing) if closing else None)

        result: IncidentMove = self._retrying(action, lambda: attempt(True))
        return result

    def _landed_before(
        self, job: str, closing: str | None, new: IncidentModel | None, token: str
    ) -> IncidentMove:
        """The state no longer names what was read: this very move landed on an attempt whose answer was lost,
        or another pass moved it (then this pass sends nothing)."""
        with storage_errors("reading job state"):
            try:
                stored = JobStateModel.get(job_state_key(job), consistent_read=True).alert_incident
            except JobStateModel.DoesNotExist:
                stored = None
        old = self.get_incident(job, closing) if closing else None
        if new is not None:
            return IncidentMove(stored == new.sk, new, old)
        landed = old is not None and old.closed_by == token and stored is None
        return IncidentMove(landed, None, old)

    def note_alert(self, job: str, sk: str, subject: str, at: datetime, not_sent: str | None = None) -> None:
        """Adds an alert to the incident's list once (a retry finds its own entry by time and subject), with
        why it was not sent if the topic refused it."""
        action = f"noting an alert on the incident of '{job}'"

        def attempt() -> None:
            incident = self.get_incident(job, sk)
            if incident is None:
                return
            alerts = list(incident.alerts or [])
            if any(alert.at == at and alert.subject == subject for alert in alerts):
                return
            entry = IncidentAlertAttribute(at=at, subject=subject, error=not_sent)
            with storage_errors(action):
                try:
                    incident.update(
                        actions=[IncidentModel.alerts.set((IncidentModel.alerts | []).append([entry]))],
                        condition=IncidentModel.alerts.does_not_exist()
                        | (size(IncidentModel.alerts) == len(alerts)),
                    )
                except PynamoDBException as error:
                    if not is_condition_failure(error):
                        raise
                    # The list changed since it was read (our own lost answer, most likely): read it again.
                    raise TransientStorageError(f"{action}: the incident changed") from error

        self._retrying(action, attempt)

    def list_incidents(
        self, jobs: Sequence[str], limit: int, before: str | None = None, open_only: bool = False
    ) -> IncidentPage:
        """Newest first across the jobs: one key-range query per job, merged by sort key (time first)."""
        merged: list[IncidentModel] = []
        condition = IncidentModel.sk < before if before else None
        filter_condition = IncidentModel.ended_at.does_not_exist() if open_only else None
        with storage_errors("listing incidents"):
            for job in jobs:
                merged.extend(
                    IncidentModel.query(
                        incident_key(job),
                        condition,
                        filter_condition,
                        scan_index_forward=False,
                        limit=limit + 1,
                    )
                )
        merged.sort(key=lambda incident: incident.sk, reverse=True)
        page = merged[:limit]
        return IncidentPage(page, page[-1].sk if len(merged) > limit and page else None)
