"""The runner every job handler goes through: one run at a time, each tick once, nothing left RUNNING."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from functions.catalog import JobDefinition, get_job
from functions.clock import SYSTEM_CLOCK, Clock
from functions.data.errors import DuplicateTickError, JobBusyError, StaleRunError
from functions.data.models import RunModel
from functions.data.run_log import LogLocation, Outcome, RunError, RunLog
from functions.data.vocabulary import RunStatus
from functions.ids import new_run_id
from functions.lifecycle.context import RunContext
from functions.lifecycle.errors import describe_exception
from functions.lifecycle.events import (
    InvalidEventError,
    ManualInvocation,
    ScheduledInvocation,
    continuation_payload,
    parse_invocation,
)
from functions.lifecycle.invoker import InvokeError, LambdaInvoker
from functions.lifecycle.log_links import log_location
from functions.observability import bind_run, logger, metrics, tracer
from functions.settings import get_settings

# Time allowed for an async continuation to be picked up before its lease lapses.
CONTINUATION_PICKUP = timedelta(minutes=5)


class LambdaContext(Protocol):
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    invoked_function_arn: str

    def get_remaining_time_in_millis(self) -> int: ...


class JobWork(Protocol):
    """Processes one page of work from `cursor`; returns the cursor of the next page, or None when done."""

    def __call__(self, run: RunContext, cursor: str | None) -> str | None: ...


def context_log_location(context: LambdaContext, run_id: str) -> LogLocation:
    return log_location(
        run_id,
        getattr(context, "log_group_name", None),
        getattr(context, "log_stream_name", None),
        getattr(context, "aws_request_id", None),
    )


class JobRunner:
    def __init__(
        self,
        job: JobDefinition,
        work: JobWork,
        *,
        run_log: RunLog | None = None,
        clock: Clock = SYSTEM_CLOCK,
        invoker: LambdaInvoker | None = None,
        margin: timedelta | None = None,
    ) -> None:
        self.job = job
        self.work = work
        self.clock = clock
        self._run_log = run_log
        self._invoker = invoker
        # Stop early enough to save the cursor and hand over before Lambda cuts the invocation off.
        self.margin = margin or max(timedelta(seconds=20), job.timeout / 10)

    @property
    def run_log(self) -> RunLog:
        if self._run_log is None:
            self._run_log = RunLog(get_settings().retention_days)
        return self._run_log

    @property
    def invoker(self) -> LambdaInvoker:
        if self._invoker is None:
            self._invoker = LambdaInvoker()
        return self._invoker

    def handle(self, event: Any, context: LambdaContext) -> dict[str, Any]:
        try:
            invocation = parse_invocation(event)
        except InvalidEventError as error:
            # A malformed event can never succeed: report it rather than have Lambda retry it.
            logger.error("rejected event", extra={"reason": str(error)})
            return {"outcome": "rejected", "reason": str(error)}
        if invocation.job != self.job.name:
            logger.error("event for another job", extra={"event_job": invocation.job})
            return {"outcome": "rejected", "reason": f"this function runs '{self.job.name}'"}
        now = self.clock.now()
        deadline = now + timedelta(milliseconds=context.get_remaining_time_in_millis())
        metrics.add_dimension("job", self.job.name)
        if isinstance(invocation, ScheduledInvocation):
            return self._start_tick(invocation, context, now, deadline)
        try:
            if isinstance(invocation, ManualInvocation):
                run = self.run_log.take_over_queued(
                    invocation.run_id, now, deadline, context_log_location(context, invocation.run_id)
                )
            else:
                run = self.run_log.resume_segment(
                    invocation.run_id,
                    invocation.segment,
                    deadline,
                    context_log_location(context, invocation.run_id),
                )
        except StaleRunError as error:
            logger.warning("duplicate or stale invocation ignored", extra={"reason": str(error)})
            return {"outcome": "ignored", "run_id": invocation.run_id, "reason": str(error)}
        bind_run(run.run_id, self.job.name)
        return self._execute(run, context)

    def _start_tick(
        self, tick: ScheduledInvocation, context: LambdaContext, now: datetime, deadline: datetime
    ) -> dict[str, Any]:
        run_id = new_run_id(now)
        bind_run(run_id, self.job.name)
        try:
            run = self.run_log.start_scheduled(
                self.job.name, run_id, tick.scheduled_for, tick.tick_key, now, deadline,
                context_log_location(context, run_id),
            )  # fmt: skip
        except DuplicateTickError as error:
            logger.info("tick already handled", extra={"tick": tick.tick_key, "by_run": error.run_id})
            return {"outcome": "duplicate", "run_id": error.run_id}
        except JobBusyError as busy:
            blocker = busy.blocking_run_id or "unknown"
            try:
                self.run_log.record_skipped(
                    self.job.name, run_id, tick.scheduled_for, tick.tick_key, now, blocker
                )
            except DuplicateTickError as error:
                return {"outcome": "duplicate", "run_id": error.run_id}
            logger.warning("tick skipped: another run is in flight", extra={"blocked_by": blocker})
            metrics.add_metric(name="RunsSkipped", unit=MetricUnit.Count, value=1)
            return {"outcome": RunStatus.SKIPPED.value, "run_id": run_id, "blocked_by": blocker}
        return self._execute(run, context)

    @tracer.capture_method
    def _execute(self, run: RunModel, context: LambdaContext) -> dict[str, Any]:
        logger.info("run started", extra={"segment": run.segment, "cursor": run.cursor})
        run_id = run.run_id
        progress = RunContext(
            run_id, self.job, self.clock, run.scheduled_for, run.count_values(), run.item_error_values()
        )
        cursor: str | None = run.cursor
        try:
            while True:
                cursor = self.work(progress, cursor)
                if cursor is None:
                    break
                if timedelta(milliseconds=context.get_remaining_time_in_millis()) < self.margin:
                    return self._continue(run, progress, cursor, context)
                self.run_log.save_progress(run, progress.counts, progress.item_errors, cursor)
            outcome = progress.outcome()
        except StaleRunError:
            logger.warning("run was finished elsewhere (watchdog or failure recorder); stopping")
            return {"outcome": "abandoned", "run_id": run_id}
        except Exception as error:
            logger.exception("run failed")
            outcome = Outcome(
                RunStatus.FAILED, dict(progress.counts), progress.item_errors, describe_exception(error)
            )
        return self._finish(run_id, outcome)

    def _continue(
        self, run: RunModel, progress: RunContext, cursor: str, context: LambdaContext
    ) -> dict[str, Any]:
        lease = self.clock.now() + self.job.timeout + CONTINUATION_PICKUP
        self.run_log.save_progress(run, progress.counts, progress.item_errors, cursor, lease_until=lease)
        segment = int(run.segment) + 1
        try:
            self.invoker.invoke_async(
                context.invoked_function_arn, continuation_payload(self.job.name, run.run_id, segment)
            )
        except InvokeError as error:
            logger.exception("continuation could not be started")
            failure = RunError(type="ContinuationFailed", message=str(error), where="continuation")
            return self._finish(
                run.run_id, Outcome(RunStatus.FAILED, progress.counts, progress.item_errors, failure)
            )
        logger.info("run continues in a new invocation", extra={"segment": segment, "cursor": cursor})
        metrics.add_metric(name="RunContinuations", unit=MetricUnit.Count, value=1)
        return {"outcome": "continued", "run_id": run.run_id, "segment": segment, "counts": progress.counts}

    def _finish(self, run_id: str, outcome: Outcome) -> dict[str, Any]:
        try:
            finished = self.run_log.finish(run_id, outcome, self.clock.now(), expected=[RunStatus.RUNNING])
        except StaleRunError:
            logger.warning(
                "run was already finished elsewhere; outcome not recorded", extra={"outcome": outcome}
            )
            return {"outcome": "abandoned", "run_id": run_id}
        record_run_metrics(outcome.status, outcome.counts, finished.duration_ms)
        logger.info(
            "run finished",
            extra={
                "status": outcome.status.value,
                "counts": outcome.counts,
                "duration_ms": finished.duration_ms,
            },
        )
        return {"outcome": outcome.status.value, "run_id": run_id, "counts": outcome.counts}


def record_run_metrics(status: RunStatus, counts: dict[str, int], duration_ms: Any) -> None:
    metrics.add_metric(name=f"Runs{status.value.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ItemsFailed", unit=MetricUnit.Count, value=counts.get("failed", 0))
    metrics.add_metric(name="ItemsSucceeded", unit=MetricUnit.Count, value=counts.get("succeeded", 0))
    if duration_ms is not None:
        metrics.add_metric(name="RunDuration", unit=MetricUnit.Milliseconds, value=float(duration_ms))


def job_handler(job_name: str, work: JobWork) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Builds a job's Lambda handler; the runner (and its clients) is made on first use, not at import."""
    runner: list[JobRunner] = []

    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics(raise_on_empty_metrics=False)
    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not runner:
            runner.append(JobRunner(get_job(job_name), work))
        return runner[0].handle(event, context)

    return handler
