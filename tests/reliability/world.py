"""A small platform under fault: due sequence steps, the real runner, the real failure recorder and watchdog,
and the figures every reliability test reports."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from functions.catalog import CATALOG, get_job
from functions.clock import ManualClock, isoformat
from functions.data.models import RunModel
from functions.data.run_log import RunLog
from functions.data.run_types import RunQuery
from functions.data.vocabulary import FINISHED_STATUSES, RunStatus
from functions.lifecycle.failures import Decision, record_destination_failure
from functions.lifecycle.runner import JobRunner
from functions.lifecycle.watchdog import watch
from tests.integration.jobs.job_harness import WORK, Platform, RecordingInvoker, owner
from tests.reliability.faults import Faults, LambdaKilled

ACCOUNT = "123456789012"
REGION = "eu-west-2"


def scheduler_event(job: str, scheduled_time: str) -> dict[str, Any]:
    """What EventBridge Scheduler delivers: the target input with <aws.scheduler.*> filled in. The execution
    id changes on every attempt; the scheduled time does not."""
    return {
        "job": job,
        "trigger": "SCHEDULE",
        "scheduled_time": scheduled_time,
        "execution_id": f"{uuid.uuid4()}",
    }


def destination_record(
    function: str, payload: dict[str, Any], request_id: str, error: dict[str, Any], attempts: int = 1
) -> dict[str, Any]:
    """What Lambda sends to an on-failure destination once an async invocation failed for good."""
    return {
        "version": "1.0",
        "timestamp": "2026-11-28T09:05:01.000Z",
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": error,
    }


TIMEOUT = {
    "errorType": "Sandbox.Timedout",
    "errorMessage": "RequestId: x Error: Task timed out after 300.00 seconds",
}


def error_of(exception: BaseException) -> dict[str, Any]:
    return {"errorType": type(exception).__name__, "errorMessage": str(exception), "stackTrace": []}


@dataclass
class Invocation:
    payload: dict[str, Any]
    request_id: str
    result: dict[str, Any] | None = None
    raised: BaseException | None = None


@dataclass
class Tally:
    name: str
    faults: int = 0
    runs: int = 0
    items_due: int = 0
    emails_sent: int = 0
    duplicates: int = 0
    lost_items: int = 0
    left_in_flight: int = 0
    silent_successes: int = 0

    def row(self) -> str:
        return (
            f"{self.name:<58} faults={self.faults:<3} runs={self.runs:<2} due={self.items_due:<3} "
            f"sent={self.emails_sent:<3} duplicates={self.duplicates} lost={self.lost_items} "
            f"in_flight={self.left_in_flight} silent_successes={self.silent_successes}"
        )


@dataclass
class World:
    platform: Platform
    faults: Faults
    clock: ManualClock
    run_log: RunLog
    invoker: RecordingInvoker = field(default_factory=RecordingInvoker)
    invocations: list[Invocation] = field(default_factory=list)
    due: list[str] = field(default_factory=list)
    redrives: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def seed_steps(self, count: int) -> None:
        """`count` contacts each with one due outreach step: `count` emails owed, each exactly once."""
        contacts = [
            {"id": f"c-{n}", "email": f"contact{n}@example.com", "name": f"C{n}", "owner_id": "u-ana"}
            for n in range(count)
        ]
        self.platform.load(
            {
                "users": [owner()],
                "sequences": [
                    {
                        "id": "s-1",
                        "name": "One",
                        "steps": [{"delay_minutes": 0, "subject": "Hi", "body": "Hello"}],
                    }
                ],
                "contacts": contacts,
                "enrollments": [
                    {"id": f"e-{n}", "contact_id": f"c-{n}", "sequence_id": "s-1", "next_send_at": "now"}
                    for n in range(count)
                ],
            }
        )
        self.due = [f"contact{n}@example.com" for n in range(count)]

    # --- invoking --------------------------------------------------------------------------------

    def runner(self, job: str = "sequences") -> JobRunner:
        return JobRunner(
            get_job(job), WORK[job], run_log=self.run_log, clock=self.clock, invoker=self.invoker
        )

    def invoke(self, payload: dict[str, Any], job: str = "sequences", timeout: int = 300) -> Invocation:
        """One Lambda invocation: a raised error or a kill is what Lambda would see and report."""
        context = self.platform.lambda_context(
            timeout_seconds=timeout, function_name=f"devsphere-automation-{job}"
        )
        invocation = Invocation(payload, context.aws_request_id)
        self.invocations.append(invocation)
        try:
            invocation.result = self.runner(job).handle(payload, context)
        except (Exception, LambdaKilled) as error:
            invocation.raised = error
        return invocation

    def tick(self, job: str = "sequences") -> Invocation:
        return self.invoke(scheduler_event(job, isoformat(self.clock.now())), job)

    def record_failure(self, invocation: Invocation, error: dict[str, Any] | None = None) -> Decision:
        """Lambda hands the failed invocation to the on-failure destination: the real recorder runs."""
        job = invocation.payload["job"]
        record = destination_record(
            f"devsphere-automation-{job}",
            invocation.payload,
            invocation.request_id,
            error
            or (TIMEOUT if isinstance(invocation.raised, LambdaKilled) else error_of(invocation.raised)),
        )
        return record_destination_failure(record, self.run_log, self.clock.now(), self._redrive)

    def _redrive(self, function: str, payload: dict[str, Any]) -> None:
        self.redrives.append((function, payload))

    def deliver_redrives(self) -> list[Invocation]:
        pending, self.redrives = self.redrives, []
        return [self.invoke(payload, payload["job"]) for _, payload in pending]

    def watchdog(self, after: timedelta = timedelta(minutes=10)) -> dict[str, Any]:
        self.clock.advance(after)
        return watch(CATALOG, self.run_log, _NoAlerts(), self.clock.now())

    # --- figures ---------------------------------------------------------------------------------

    def runs(self) -> list[RunModel]:
        return self.run_log.query_runs(RunQuery(jobs=[job.name for job in CATALOG], limit=100)).runs

    def tally(self, name: str) -> Tally:
        sent = self.platform.sent()
        recipients = Counter(tuple(message.destinations["ToAddresses"]) for message in sent)
        runs = self.runs()
        listed = {entry["key"] for run in runs for entry in run.item_error_values()} | {
            entry["item"] for run in runs for entry in run.unconfirmed_values()
        }
        sent_to = {address for (address,) in recipients}
        lost = [
            address
            for n, address in enumerate(self.due)
            if address not in sent_to and f"enrollment:e-{n}:step:0" not in listed
        ]
        silent = 0
        for invocation in self.invocations:
            outcome = (invocation.result or {}).get("outcome")
            if outcome in {status.value for status in FINISHED_STATUSES}:
                silent += self.run_log.get_run(invocation.result["run_id"]).status != outcome  # type: ignore[index]
        return Tally(
            name=name,
            faults=self.faults.total,
            runs=len(runs),
            items_due=len(self.due),
            emails_sent=len(sent),
            duplicates=sum(count - 1 for count in recipients.values() if count > 1),
            lost_items=len(lost),
            left_in_flight=sum(RunStatus(run.status).in_flight for run in runs),
            silent_successes=silent,
        )


class _NoAlerts:
    def publish(self, subject: str, body: dict[str, Any]) -> None:
        pass
