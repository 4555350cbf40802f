"""The runner every job handler goes through: one run at a time, each tick once, nothing left RUNNING."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from functions.catalog import JobDefinition, get_job
from functions.clock import SYSTEM_CLOCK, Clock
from functions.data.errors import (
    DuplicateTickError,
    JobBusyError,
    JobPausedError,
    StaleRunError,
    TransientStorageError,
)
from functions.data.models import RunModel
from functions.data.run_fencing import CancelRequestedError, Fence, cancel_requested
from functions.data.run_log import RunLog
from functions.data.run_types import LogLocation, Outcome, RunError
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
# The most work a run that dies can leave out of its record (documented in docs/reliability.md).
CHECKPOINT_ITEMS = 25
CHECKPOINT_INTERVAL = timedelta(seconds=10)


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
        """Runs one invocation. A storage fault that outlasts its retries is raised, not reported: the
        invocation fails and the failure recorder re-drives or closes the run (see docs/reliability.md)."""
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
        logs = context_log_location(context, invocation.run_id)
        try:
            if isinstance(invocation, ManualInvocation):
                run = self.run_log.take_over_queued(invocation.run_id, now, deadline, logs)
            else:
                run = self.run_log.resume_segment(invocation.run_id, invocation.segment, deadline, logs)
        except StaleRunError as error:
            # Decided by a condition: another invocation carries this run, or it was closed already.
            logger.warning(
                "duplicate delivery: the run is not this invocation's", extra={"reason": str(error)}
            )
            return {"outcome": "duplicate", "run_id": invocation.run_id, "reason": str(error)}
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
        except JobPausedError as paused:
            return self._skip(tick, run_id, now, because=str(paused))
        except JobBusyError as busy:
            blocker = busy.blocking_run_id or "unknown"
            return self._skip(
                tick, run_id, now, because=f"run {blocker} of this job was in flight", blocked_by=blocker
            )
        return self._execute(run, context)

    def _skip(
        self,
        tick: ScheduledInvocation,
        run_id: str,
        now: datetime,
        because: str,
        blocked_by: str | None = None,
    ) -> dict[str, Any]:
        try:
            self.run_log.record_skipped(
                self.job.name,
                run_id,
                tick.scheduled_for,
                tick.tick_key,
                now,
                blocked_by=blocked_by,
                because=because,
            )
        except DuplicateTickError as error:
            return {"outcome": "duplicate", "run_id": error.run_id}
        logger.warning("tick skipped", extra={"because": because, "blocked_by": blocked_by})
        metrics.add_metric(name="RunsSkipped", unit=MetricUnit.Count, value=1)
        return {
            "outcome": RunStatus.SKIPPED.value,
            "run_id": run_id,
            "blocked_by": blocked_by,
            "because": because,
        }

    @tracer.capture_method
    def _execute(self, run: RunModel, context: LambdaContext) -> dict[str, Any]:
        logger.info("run started", extra={"segment": run.segment, "cursor": run.cursor})
        progress = RunContext(
            run.run_id,
            self.job,
            self.clock,
            run.scheduled_for,
            run.count_values(),
            run.item_error_values(),
            run.unconfirmed_values(),
        )
        checkpoints = Checkpoints(self.run_log, run, progress, self.clock)
        progress.after_item = checkpoints.after_item
        try:
            # A run cancelled while queued, or between two segments, stops before its first item.
            pending = cancel_requested(run)
            if pending is not None:
                return self._finish(run, cancelled(progress.outcome(), pending))
            try:
                result = self._work(run, progress, checkpoints, context)
            except CancelRequestedError as cancel:
                logger.warning(
                    "run cancelled at a checkpoint", extra={"by": cancel.by, "counts": progress.counts}
                )
                return self._finish(run, cancelled(progress.outcome(), cancel))
            return result if isinstance(result, dict) else self._finish(run, result)
        except StaleRunError as superseded:
            # Decided by a condition: the watchdog or the failure recorder closed this run, or a newer
            # segment owns it. Its writes are fenced off; what it did is in its items' ledger.
            logger.error(
                "run superseded: its progress is no longer recorded",
                extra={"reason": str(superseded), "counts": progress.counts},
            )
            return {"outcome": "superseded", "run_id": run.run_id, "counts": progress.counts}

    def _work(
        self, run: RunModel, progress: RunContext, checkpoints: Checkpoints, context: LambdaContext
    ) -> Outcome | dict[str, Any]:
        """Works page after page: the outcome, or the answer of handing over to a continuation."""
        while True:
            try:
                checkpoints.cursor = self.work(progress, checkpoints.cursor)
            except (StaleRunError, CancelRequestedError):
                raise
            except Exception as error:
                logger.exception("run failed")
                return Outcome(
                    RunStatus.FAILED,
                    dict(progress.counts),
                    progress.item_errors,
                    describe_exception(error),
                    progress.unconfirmed,
                )
            if checkpoints.cursor is None:
                return progress.outcome()
            if timedelta(milliseconds=context.get_remaining_time_in_millis()) < self.margin:
                return self._continue(run, progress, checkpoints.cursor, context)
            checkpoints.save()

    def _continue(
        self, run: RunModel, progress: RunContext, cursor: str, context: LambdaContext
    ) -> dict[str, Any]:
        lease = self.clock.now() + self.job.timeout + CONTINUATION_PICKUP
        self.run_log.save_progress(
            run,
            progress.counts,
            progress.item_errors,
            cursor,
            unconfirmed=progress.unconfirmed,
            lease_until=lease,
        )
        segment = int(run.segment) + 1
        try:
            self.invoker.invoke_async(
                context.invoked_function_arn, continuation_payload(self.job.name, run.run_id, segment)
            )
        except InvokeError as error:
            logger.exception("continuation could not be started")
            failure = RunError(type="ContinuationFailed", message=str(error), where="continuation")
            return self._finish(
                run,
                Outcome(
                    RunStatus.FAILED, progress.counts, progress.item_errors, failure, progress.unconfirmed
                ),
            )
        logger.info("run continues in a new invocation", extra={"segment": segment, "cursor": cursor})
        metrics.add_metric(name="RunContinuations", unit=MetricUnit.Count, value=1)
        return {"outcome": "continued", "run_id": run.run_id, "segment": segment, "counts": progress.counts}

    def _finish(self, run: RunModel, outcome: Outcome) -> dict[str, Any]:
        segment = int(run.segment)
        fence = Fence.cancelling(segment) if outcome.status is RunStatus.CANCELLED else Fence.segment(segment)
        try:
            finished = self.run_log.finish(run.run_id, outcome, self.clock.now(), fence)
        except CancelRequestedError as cancel:
            # The cancel landed before this outcome: it wins, and the run keeps everything it did.
            outcome = cancelled(outcome, cancel)
            finished = self.run_log.finish(run.run_id, outcome, self.clock.now(), Fence.cancelling(segment))
        record_run_metrics(outcome.status, outcome.counts, finished.duration_ms)
        logger.info(
            "run finished",
            extra={
                "status": outcome.status.value,
                "counts": outcome.counts,
                "duration_ms": finished.duration_ms,
            },
        )
        return {"outcome": outcome.status.value, "run_id": run.run_id, "counts": outcome.counts}


def cancelled(outcome: Outcome, cancel: CancelRequestedError) -> Outcome:
    """The run as far as it got, closed CANCELLED with who stopped it and why."""
    error = RunError(type="Cancelled", message=cancel.reason_text, where="cancel")
    return Outcome(RunStatus.CANCELLED, dict(outcome.counts), outcome.item_errors, error, outcome.unconfirmed)


class Checkpoints:
    """Saves a run's counts often enough that a run that dies shows what it did: after every page, and
    within a page every CHECKPOINT_ITEMS items or CHECKPOINT_INTERVAL, whichever comes first."""

    def __init__(self, run_log: RunLog, run: RunModel, progress: RunContext, clock: Clock) -> None:
        self._run_log = run_log
        self._run = run
        self._progress = progress
        self._clock = clock
        self.cursor: str | None = run.cursor
        self._items = 0
        self._saved_at = clock.now()

    def after_item(self) -> None:
        self._items += 1
        if self._items >= CHECKPOINT_ITEMS or self._clock.now() - self._saved_at >= CHECKPOINT_INTERVAL:
            self.save()

    def save(self) -> None:
        """A checkpoint that stays undecided is logged and left to the next one or to the outcome, which
        carries the same counts; a fenced one stops the run: StaleRunError when it was superseded,
        CancelRequestedError when an admin cancelled it (read from the refused write, not a read per item)."""
        try:
            self._run_log.save_progress(
                self._run,
                self._progress.counts,
                self._progress.item_errors,
                self.cursor,
                unconfirmed=self._progress.unconfirmed,
            )
        except TransientStorageError:
            logger.warning("progress not saved this time; the next checkpoint or the outcome carries it")
            return
        self._items = 0
        self._saved_at = self._clock.now()


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
