"""EventBridge Scheduler's firing, which moto does not do: each schedule invokes its target at its ticks.

The schedules themselves live in the embedded Scheduler (moto), created by provisioning from the catalog.
Every due tick re-reads its schedule there, so a pause or resume through the API (which disables or
enables the schedule) takes effect locally exactly as it does in AWS. Ticks are computed with the same
`Schedule` math the status page uses, from the schedule's own expression and time zone.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import boto3

from functions.catalog.schedule import Schedule, parse_schedule
from functions.clock import SYSTEM_CLOCK, Clock, isoformat

_log = logging.getLogger(__name__)

# How long the loop may wait at most between passes, so stopping and clock changes are noticed promptly.
MAX_WAIT = timedelta(seconds=1)


@dataclass(frozen=True)
class Firing:
    schedule: str
    target: str
    scheduled_time: datetime
    event: Any


Deliver = Callable[[str, Any], object]
"""Invokes a target asynchronously: (function name or ARN, event)."""

Wait = Callable[[float], bool]
"""Waits up to the given seconds; returns True when the scheduler should stop."""


class LocalScheduler:
    def __init__(
        self,
        group: str,
        deliver: Deliver,
        *,
        clock: Clock = SYSTEM_CLOCK,
        client: Any = None,
    ) -> None:
        self._group = group
        self._deliver = deliver
        self._clock = clock
        self._client = client
        self._next_due: dict[str, datetime | None] = {}

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("scheduler")
        return self._client

    def run(self, wait: Wait) -> None:
        """Fires due ticks until `wait` says stop. A failed pass is reported and the next one tried, as
        EventBridge keeps firing whatever one delivery did."""
        self._pass()
        while not wait(self.seconds_until_due()):
            self._pass()

    def _pass(self) -> None:
        try:
            self.run_pending()
        except Exception:
            _log.exception("a scheduler pass failed; trying again at the next one")

    def run_pending(self) -> list[Firing]:
        """Fires every schedule whose next tick has come. Ticks missed while the machine slept are
        coalesced into the latest one, so waking up does not start a burst of runs."""
        now = self._clock.now()
        fired = []
        for name in self._schedule_names():
            if name not in self._next_due:
                # Like a schedule just created: its first tick is the next one, nothing from the past.
                self._next_due[name] = self._schedule_of(self._get(name)).next_after(now)
                continue
            due = self._next_due[name]
            if due is None or due > now:
                continue
            definition = self._get(name)
            schedule = self._schedule_of(definition)
            tick = schedule.previous_at_or_before(now) or due
            self._next_due[name] = schedule.next_after(now)
            if definition.get("State") == "ENABLED":
                fired.append(self._fire(definition, tick))
        return fired

    def fire_now(self, names: list[str]) -> list[Firing]:
        """Fires the named schedules once at the current second, as if each had a tick now (--fire-now)."""
        tick = self._clock.now().replace(microsecond=0)
        fired = []
        for name in names:
            definition = self._get(name)
            if definition.get("State") == "ENABLED":
                fired.append(self._fire(definition, tick))
        return fired

    def seconds_until_due(self) -> float:
        now = self._clock.now()
        upcoming = [due for due in self._next_due.values() if due is not None]
        wait = min([due - now for due in upcoming], default=MAX_WAIT)
        return min(max(wait, timedelta(0)), MAX_WAIT).total_seconds()

    def _schedule_names(self) -> list[str]:
        names: list[str] = []
        for page in self.client.get_paginator("list_schedules").paginate(GroupName=self._group):
            names.extend(summary["Name"] for summary in page["Schedules"])
        return names

    def _get(self, name: str) -> dict[str, Any]:
        definition: dict[str, Any] = self.client.get_schedule(Name=name, GroupName=self._group)
        return definition

    @staticmethod
    def _schedule_of(definition: dict[str, Any]) -> Schedule:
        return parse_schedule(
            definition["ScheduleExpression"], definition.get("ScheduleExpressionTimezone") or "UTC"
        )

    def _fire(self, definition: dict[str, Any], tick: datetime) -> Firing:
        target = definition["Target"]
        event = (
            json.loads(context_attributes(target["Input"], definition, tick)) if target.get("Input") else {}
        )
        self._deliver(target["Arn"], event)
        return Firing(definition["Name"], target["Arn"], tick, event)


def context_attributes(template: str, definition: dict[str, Any], tick: datetime) -> str:
    """Fills in the context attributes EventBridge Scheduler replaces in a target's input."""
    values = {
        "<aws.scheduler.scheduled-time>": isoformat(tick),
        "<aws.scheduler.execution-id>": str(uuid.uuid4()),
        "<aws.scheduler.schedule-arn>": str(definition.get("Arn", "")),
        "<aws.scheduler.attempt-number>": "1",
    }
    for placeholder, value in values.items():
        template = template.replace(placeholder, value)
    return template
