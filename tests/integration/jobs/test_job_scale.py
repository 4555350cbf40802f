"""Reads grow with due work, not with the table; a run longer than an invocation continues under one id."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from pynamodb.connection.base import Connection

from functions.automations import follow_ups
from functions.catalog import get_job
from functions.clock import ManualClock
from functions.data.platform import (
    ContactModel,
    EnrollmentModel,
    FollowUpModel,
    PlatformItem,
    SequenceModel,
    StepAttribute,
    SubscriptionModel,
    UserModel,
)
from functions.lifecycle.context import RunContext
from functions.lifecycle.events import continuation_payload
from functions.lifecycle.runner import JobWork
from tests.integration.jobs.job_harness import Platform, RecordingInvoker

USERS, CONTACTS, FOLLOW_UPS = 10, 6_000, 4_000
SUBSCRIPTIONS = 20_000 - USERS - 1 - 2 * CONTACTS - FOLLOW_UPS
DUE = {"sequences": 70, "follow-ups": 65, "renewal-reminders": 65}


class PlatformReads:
    """Items DynamoDB returned from the platform table, per job run, and every Scan anywhere."""

    def __init__(self) -> None:
        self.items: Counter[str] = Counter()
        self.due_index_items = 0
        self.scans = 0

    def record(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> None:
        table = PlatformItem.Meta.table_name
        if operation == "Scan":
            self.scans += 1
        elif operation in ("Query", "GetItem") and request.get("TableName") == table:
            returned = len(response.get("Items", [])) if operation == "Query" else int("Item" in response)
            self.items[operation] += returned
            if request.get("IndexName") == "due-index":
                self.due_index_items += returned
        elif operation == "BatchGetItem":
            self.items[operation] += len(response.get("Responses", {}).get(table, []))

    @property
    def total(self) -> int:
        return sum(self.items.values())


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[PlatformReads]:
    counter = PlatformReads()
    original = Connection._make_api_call

    def counting(self: Connection, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        response = original(self, operation, kwargs)
        counter.record(operation, kwargs, response)
        return response

    monkeypatch.setattr(Connection, "_make_api_call", counting)
    yield counter


def seed_20k(clock: ManualClock) -> None:
    """20,000 records, 200 of them due: written in batches straight to the table, as the platform would."""
    now = clock.now()
    past, future = now - timedelta(minutes=5), now + timedelta(days=3)
    records: list[PlatformItem] = [
        UserModel.new(f"u-{n}", name=f"Owner {n}", email=f"owner{n}@devsphere.example") for n in range(USERS)
    ]
    step = StepAttribute(delay_minutes=0, subject="Hi {first_name}", body="Hello {name}")
    records.append(
        SequenceModel.new(
            "s-1", name="One", steps=[step, StepAttribute(**{**step.as_dict(), "delay_minutes": 60})]
        )
    )
    for n in range(CONTACTS):
        records.append(
            ContactModel.new(
                f"c-{n}", email=f"c{n}@example.com", name=f"Contact {n}", owner_id=f"u-{n % USERS}"
            )
        )
        enrollment = EnrollmentModel.new(f"e-{n}", contact_id=f"c-{n}", sequence_id="s-1")
        enrollment.set_due(past if n < DUE["sequences"] else future)
        records.append(enrollment)
    for n in range(FOLLOW_UPS):
        due = past if n < DUE["follow-ups"] else future
        follow_up = FollowUpModel.new(
            f"f-{n}", owner_id=f"u-{n % USERS}", related_label=f"Contact {n}", due_time=due
        )
        follow_up.set_due(due)
        records.append(follow_up)
    for n in range(SUBSCRIPTIONS):
        days = 30 if n < DUE["renewal-reminders"] else 200
        subscription = SubscriptionModel.new(
            f"sub-{n}",
            customer=f"Customer {n}",
            owner_id=f"u-{n % USERS}",
            contact_email=f"buyer{n}@example.com",
            renewal_date=(now + timedelta(days=days)).date().isoformat(),
            reminder_offsets=[30, 14, 7, 1],
            timezone="Europe/London",
        )
        subscription.set_due(past if days == 30 else future)
        records.append(subscription)
    assert len(records) == 20_000
    with PlatformItem.batch_write() as batch:
        for record in records:
            batch.save(record)


def test_given_20k_records_with_200_due_when_the_jobs_run_then_they_read_the_due_items_and_what_they_name(
    platform: Platform, reads: PlatformReads
) -> None:
    seed_20k(platform.clock)
    per_job: dict[str, int] = {}

    for job, due in DUE.items():
        before = reads.total
        run = platform.record(platform.run(job))
        assert run.status == "SUCCEEDED" and run.count_values()["processed"] == due
        per_job[job] = reads.total - before

    assert reads.scans == 0
    assert reads.due_index_items == 200
    # Beyond the due items: each enrollment's contact, and once per page of 50 the sequence and the owners.
    pages = 2
    assert per_job["sequences"] <= 2 * DUE["sequences"] + pages * (1 + USERS)
    assert per_job["follow-ups"] <= DUE["follow-ups"] + pages * USERS
    assert per_job["renewal-reminders"] <= DUE["renewal-reminders"] + pages * USERS
    assert len(platform.sent()) == 70 + 65 + 2 * 65


def test_given_more_due_items_than_fit_in_one_invocation_when_the_run_continues_then_it_ends_with_the_sum(
    platform: Platform, invoker: RecordingInvoker
) -> None:
    platform.load(
        {
            "users": [{"id": "u-ana", "name": "Ana", "email": "ana@devsphere.example"}],
            "contacts": [{"id": "c-1", "email": "c1@example.com", "name": "C One"}],
            "follow_ups": [
                {"id": f"f-{n:02d}", "owner_id": "u-ana", "contact_id": "c-1", "due_at": f"now-{n + 1}m"}
                for n in range(30)
            ],
        }
    )
    pages = 0

    def slow_pages(run: RunContext, cursor: str | None) -> str | None:
        nonlocal pages
        pages += 1
        platform.clock.advance(timedelta(seconds=60))
        return partial(follow_ups.work, page_size=5)(run, cursor)

    work: JobWork = slow_pages
    first = platform.run("follow-ups", work, invoker=invoker, margin=timedelta(seconds=100))
    continuations = 0
    result = first
    while result["outcome"] == "continued":
        continuations += 1
        [(_, payload)] = invoker.calls[-1:]
        assert payload == continuation_payload("follow-ups", first["run_id"], continuations + 1)
        result = platform.runner("follow-ups", work, invoker=invoker, margin=timedelta(seconds=100)).handle(
            payload, platform.lambda_context(get_job("follow-ups").timeout_seconds)
        )

    run = platform.record(result)
    assert first["outcome"] == "continued" and continuations == 1 and run.segment == 2
    assert result["run_id"] == first["run_id"] and run.status == "SUCCEEDED"
    assert run.count_values()["reminders_sent"] == 30 and run.count_values()["processed"] == 30
    # Six pages of five (DynamoDB may add an empty one after a page that ends exactly at its limit).
    assert len(platform.sent()) == 30 and pages >= 6
