"""What the job tests share: jobs run through the real runner on the test's clock, and moto's sent mail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from functions.automations import follow_ups, renewal_reminders, scheduled_reports, sequences
from functions.automations.importer import ImportResult, import_records
from functions.catalog import get_job
from functions.clock import ManualClock, isoformat
from functions.data.models import RunModel
from functions.data.run_log import RunLog
from functions.data.run_types import Caller
from functions.ids import new_run_id
from functions.lifecycle.events import manual_payload, scheduled_payload
from functions.lifecycle.invoker import LambdaInvoker
from functions.lifecycle.runner import JobRunner, JobWork
from functions.settings import get_settings

ACCOUNT = "123456789012"

WORK: dict[str, JobWork] = {
    "sequences": sequences.work,
    "follow-ups": follow_ups.work,
    "scheduled-reports": scheduled_reports.work,
    "renewal-reminders": renewal_reminders.work,
}


class RecordingInvoker(LambdaInvoker):
    """Remembers continuation invocations instead of calling Lambda; the test delivers them."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def invoke_async(self, function: str, payload: dict[str, Any]) -> None:
        self.calls.append((function, payload))


class Platform:
    def __init__(self, clock: ManualClock, lambda_context: Callable[..., Any], run_log: RunLog) -> None:
        self.clock = clock
        self.lambda_context = lambda_context
        self.run_log = run_log
        self.ticks = 0

    def load(self, data: dict[str, Any]) -> ImportResult:
        result = import_records(data, clock=self.clock)
        assert result.ok, result.summary()
        return result

    @staticmethod
    def sent() -> list[Any]:
        """Every email moto's SES accepted, oldest first (moto 5.2: .source .subject .body .destinations)."""
        from moto.ses.models import ses_backends

        return list(ses_backends[ACCOUNT][get_settings().region].sent_messages)

    def sent_to(self, address: str) -> list[Any]:
        return [message for message in self.sent() if address in message.destinations["ToAddresses"]]

    def runner(self, job: str, work: JobWork | None = None, **options: Any) -> JobRunner:
        return JobRunner(get_job(job), work or WORK[job], run_log=self.run_log, clock=self.clock, **options)

    def run(self, job: str, work: JobWork | None = None, **options: Any) -> dict[str, Any]:
        """One schedule tick at the clock's time, through the real runner."""
        self.ticks += 1
        payload = scheduled_payload(job, isoformat(self.clock.now()), f"exec-{self.ticks}")
        return self.runner(job, work, **options).handle(payload, self.lambda_context())

    def run_now(self, job: str, work: JobWork | None = None) -> dict[str, Any]:
        """A manual run, queued as the API does and then taken over by the job function."""
        now = self.clock.now()
        run_id = new_run_id(now)
        caller = Caller(sub="admin-sub", username="admin", email="admin@devsphere.example", groups=("admin",))
        self.run_log.create_queued(job, run_id, now, now + timedelta(minutes=20), caller, "re-run to check")
        return self.runner(job, work).handle(manual_payload(job, run_id), self.lambda_context())

    def record(self, result: dict[str, Any]) -> RunModel:
        return self.run_log.get_run(result["run_id"])


def owner(user_id: str = "u-ana", email: str = "ana@devsphere.example", **extra: Any) -> dict[str, Any]:
    return {"id": user_id, "name": "Ana Silva", "email": email, **extra}
