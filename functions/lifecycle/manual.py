"""What an administrator does to a job by hand: run it now, pause or resume its schedule, cancel a run,
release unconfirmed emails.

Each action records who did it and why in the job's activity trail, after the action's own write landed: an
action is never lost because its audit failed, and an audit that fails after it is logged as an error and
returned as the action's `audit_warning`, never passed over in silence. The API only parses the request and
calls these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from functions.catalog import JobDefinition
from functions.clock import Clock
from functions.data import platform_claims
from functions.data.activity import Action
from functions.data.errors import StaleRunError, StorageError
from functions.data.models import RunModel
from functions.data.run_fencing import Fence
from functions.data.run_log import RunLog
from functions.data.run_types import Caller, Outcome, RunError
from functions.data.schedules import Schedules
from functions.data.vocabulary import COUNT_NAMES, RunStatus
from functions.ids import new_run_id
from functions.lifecycle.events import manual_payload
from functions.lifecycle.invoker import InvokeError, LambdaInvoker
from functions.lifecycle.runner import CONTINUATION_PICKUP
from functions.observability import logger
from functions.settings import get_settings


class RunNotStartedError(Exception):
    """Lambda refused the invocation; the queued run was recorded FAILED with the reason."""

    def __init__(self, run: RunModel, reason: str) -> None:
        super().__init__(f"run {run.run_id} of '{run.job}' could not be started: {reason}")
        self.run = run
        self.reason = reason


@dataclass(frozen=True)
class ManualRun:
    run: RunModel
    audit_warning: str | None = None


def audit(
    run_log: RunLog,
    job: str,
    action: Action,
    caller: Caller,
    now: datetime,
    *,
    reason: str | None = None,
    run_id: str | None = None,
    detail: str | None = None,
) -> str | None:
    """Records the action's activity entry; its failure is an error to say, not to raise: the action is done.

    Returns the warning to pass on to the caller, or None when the entry was recorded.
    """
    try:
        run_log.record_activity(job, action, caller, now, reason=reason, run_id=run_id, detail=detail)
    except StorageError as error:
        logger.error(
            "action done, but its activity entry was not recorded",
            extra={
                "job": job,
                "action": action.value,
                "run_id": run_id,
                "by": caller.sub,
                "error": str(error),
            },
        )
        return f"{action.value} was done, but it could not be recorded in the activity trail: {error}"
    return None


def start_manual_run(
    job: JobDefinition,
    caller: Caller,
    reason: str,
    *,
    run_log: RunLog,
    invoker: LambdaInvoker,
    clock: Clock,
    idempotency_key: str | None = None,
    retry_of: str | None = None,
    on_queued: Callable[[RunModel], None] | None = None,
) -> RunModel:
    """Queues a run holding the job's lock, then invokes the job's function asynchronously to run it.

    Raises JobBusyError while another run is in flight. A repeated idempotency key returns the run the
    first request created, without invoking again. `retry_of` links the run to the run whose failed items it
    retries. `on_queued` is called once the new run is queued, before it is invoked (not for a repeated
    request): where the caller audits its own action.
    """
    now = clock.now()
    run_id = new_run_id(now)
    # The lease covers the wait for Lambda to pick the invocation up plus the job's own timeout.
    lease_until = now + CONTINUATION_PICKUP + job.timeout
    run = run_log.create_queued(
        job.name, run_id, now, lease_until, caller, reason, idempotency_key, retry_of=retry_of
    )
    if run.run_id != run_id:
        logger.info("repeated run-now request", extra={"run_id": run.run_id, "job": job.name})
        return run
    logger.info("manual run queued", extra={"run_id": run_id, "job": job.name, "by": caller.sub})
    if on_queued is not None:
        on_queued(run)
    try:
        invoker.invoke_async(get_settings().function_name(job.name), manual_payload(job.name, run_id))
    except InvokeError as error:
        logger.exception("manual run could not be started", extra={"run_id": run_id, "job": job.name})
        return _fail_unstarted(run_id, str(error), run_log, clock)
    return run_log.get_run(run_id)


def run_now(
    job: JobDefinition,
    caller: Caller,
    reason: str,
    *,
    run_log: RunLog,
    invoker: LambdaInvoker,
    clock: Clock,
    idempotency_key: str | None = None,
) -> ManualRun:
    """An admin's run now: `start_manual_run`, recorded as RUN_NOW in the job's activity once the run is
    queued (a repeated request records nothing again)."""
    warnings: list[str] = []

    def audited(run: RunModel) -> None:
        warning = audit(
            run_log, job.name, Action.RUN_NOW, caller, run.queued_at, reason=reason, run_id=run.run_id
        )
        if warning is not None:
            warnings.append(warning)

    run = start_manual_run(
        job,
        caller,
        reason,
        run_log=run_log,
        invoker=invoker,
        clock=clock,
        idempotency_key=idempotency_key,
        on_queued=audited,
    )
    return ManualRun(run, warnings[0] if warnings else None)


def _fail_unstarted(run_id: str, reason: str, run_log: RunLog, clock: Clock) -> RunModel:
    outcome = Outcome(
        RunStatus.FAILED,
        dict.fromkeys(COUNT_NAMES, 0),
        error=RunError(type="InvokeFailed", message=reason, where="invoke"),
    )
    try:
        failed = run_log.finish(run_id, outcome, clock.now(), Fence.queued())
    except StaleRunError:
        # The function took the run over: the invocation got through although the call reported an error.
        return run_log.get_run(run_id)
    raise RunNotStartedError(failed, reason)


def set_paused(
    job: JobDefinition,
    paused: bool,
    caller: Caller,
    reason: str | None,
    *,
    run_log: RunLog,
    schedules: Schedules,
    clock: Clock,
) -> str | None:
    """Pauses or resumes the job, recording who did it and why; returns the audit warning, if any.

    The pause lives in the job's state, which the runner reads on every tick: a tick of a paused job is
    recorded SKIPPED whatever its schedule says (a deploy may re-enable a schedule). The schedule is switched
    first, so a missing schedule refuses the request before anything is recorded, and a paused job is not
    even invoked. If recording then fails, the state still decides (a resumed schedule's ticks are skipped
    as paused until the caller repeats the request; both steps are idempotent). Manual runs are not
    affected by a pause.
    """
    settings = get_settings()
    schedules.set_enabled(settings.schedule_name(job.name), settings.schedule_group, enabled=not paused)
    now = clock.now()
    run_log.set_paused(job.name, paused, caller, reason, now)
    logger.info(
        "job paused" if paused else "job resumed",
        extra={"job": job.name, "by": caller.sub, "reason": reason},
    )
    return audit(run_log, job.name, Action.PAUSE if paused else Action.RESUME, caller, now, reason=reason)


@dataclass(frozen=True)
class Release:
    released: list[str]
    not_released: list[dict[str, str]]
    run: RunModel
    audit_warning: str | None = None


class NothingToReleaseError(Exception):
    """The run lists no unconfirmed delivery (or none of the ones asked for)."""


def release_unconfirmed(
    run_id: str, claims: list[str] | None, caller: Caller, reason: str, *, run_log: RunLog, clock: Clock
) -> Release:
    """An admin decides that unconfirmed emails of a run may be sent again by the job's next run.

    Each claim is released only if it is still unconfirmed (a conditional write); the decision — who, when,
    why, which claims — is appended to the run as its audit record.
    """
    run = run_log.get_run(run_id)
    listed = [entry["claim"] for entry in run.unconfirmed_values()]
    wanted = listed if claims is None else [claim for claim in claims if claim in listed]
    not_listed = [] if claims is None else [claim for claim in claims if claim not in listed]
    if not wanted:
        raise NothingToReleaseError(f"run {run_id} lists no unconfirmed delivery to release")
    now = clock.now()
    by = caller.username or caller.sub
    released, not_released = (
        [],
        [{"key": claim, "reason": "not an unconfirmed delivery of this run"} for claim in not_listed],
    )
    for claim in wanted:
        if platform_claims.release(claim, by, reason, now):
            released.append(claim)
        else:
            not_released.append({"key": claim, "reason": "already sent, released or retried"})
    warning = None
    if released:
        run_log.record_release(run_id, caller, reason, released, now)
        detail = f"released {len(released)} of {len(released) + len(not_released)} unconfirmed emails"
        warning = audit(
            run_log,
            run.job,
            Action.RELEASE_UNCONFIRMED,
            caller,
            now,
            reason=reason,
            run_id=run_id,
            detail=detail,
        )
    logger.info(
        "unconfirmed deliveries released",
        extra={"run_id": run_id, "by": caller.sub, "reason": reason, "released": released},
    )
    return Release(released, not_released, run_log.get_run(run_id), warning)


@dataclass(frozen=True)
class CancelRequest:
    run: RunModel
    audit_warning: str | None = None


def cancel_run(run_id: str, caller: Caller, reason: str, *, run_log: RunLog, clock: Clock) -> CancelRequest:
    """Asks a QUEUED or RUNNING run to stop. Cooperative: the run's own invocation ends it CANCELLED at its
    next checkpoint (or when it is picked up), with what it did so far recorded.

    Raises NotFoundError, or NotCancellableError when the run finished (or a cancel is already pending).
    """
    now = clock.now()
    run = run_log.request_cancel(run_id, caller, reason, now)
    logger.info("run cancel requested", extra={"run_id": run_id, "by": caller.sub, "reason": reason})
    detail = f"cancel requested while {run.status}"
    return CancelRequest(
        run, audit(run_log, run.job, Action.CANCEL, caller, now, reason=reason, run_id=run_id, detail=detail)
    )
