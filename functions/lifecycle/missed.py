"""Every schedule tick accounted for: a tick that started no run within its grace gets a MISSED row.

The watchdog walks each job's ticks from a watermark on its state, so every owed tick is checked once even
when passes were skipped, and a long gap is caught up a bounded number of ticks at a time, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from functions.catalog import JobDefinition
from functions.clock import isoformat
from functions.data.models import JobStateModel, RunModel
from functions.data.run_log import RunLog
from functions.data.run_types import RunError
from functions.data.vocabulary import RunStatus
from functions.lifecycle.health import late_notice

# One pass checks at most this many ticks of a job (one read each); the rest wait for the next pass.
MAX_TICKS_PER_PASS = 200
# Tick claims expire with the run log's retention: a tick older than this can no longer prove it ran.
CLAIM_MARGIN = timedelta(days=1)
_JUST_BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True)
class TickWalk:
    ticks: list[datetime]  # owed ticks to check, oldest first
    checked_until: datetime | None  # the watermark once they are checked; None when nothing moved


def in_pause(state: JobStateModel, tick: datetime) -> bool:
    """The schedule is disabled while paused, so a tick between the pause and its resume was never owed."""
    if state.paused_at is None or tick < state.paused_at:
        return False
    if state.paused:
        return True
    return state.resumed_at is not None and state.resumed_at > state.paused_at and tick < state.resumed_at


def owed_ticks(
    job: JobDefinition,
    state: JobStateModel,
    now: datetime,
    horizon: datetime,
    limit: int = MAX_TICKS_PER_PASS,
) -> TickWalk:
    """The ticks past their grace since the watermark (or since tracking began, inclusive), outside pauses."""
    if state.tracking_since is None:
        return TickWalk([], None)
    end = now - job.grace
    start = max(filter(None, [state.tracking_since - _JUST_BEFORE, state.ticks_checked_until, horizon]))
    if end <= start:
        return TickWalk([], None)
    ticks: list[datetime] = []
    last = start
    for walked, tick in enumerate(job.schedule.ticks_between(start, end)):
        if walked == limit:
            return TickWalk(ticks, last)
        last = tick
        if not in_pause(state, tick):
            ticks.append(tick)
    return TickWalk(ticks, end)


def missed_text(job: JobDefinition, tick: datetime) -> str:
    """The tick in the schedule's own zone, as the schedule is written, with the UTC instant for the logs."""
    local = tick.astimezone(ZoneInfo(job.timezone)).strftime("%a %d %b %Y %H:%M %Z")
    return f"The {local} tick ({isoformat(tick)}) started no run within its {job.grace_minutes}-minute grace"


def missed_error(job: JobDefinition, tick: datetime, prefix: str) -> tuple[RunError, str]:
    """The MISSED row's error and, as its reason, what to check in the order that finds the cause fastest."""
    notice = late_notice(job, tick, prefix)
    error = RunError("MissedTick", missed_text(job, tick), where="schedule")
    return error, "What to check: " + " ".join(notice["checks"])


def record_missed_ticks(
    job: JobDefinition,
    state: JobStateModel,
    run_log: RunLog,
    now: datetime,
    prefix: str,
    retention: timedelta,
) -> list[str]:
    """Writes the MISSED row of every owed tick without a claim, then moves the watermark past them."""
    walk = owed_ticks(job, state, now, now - retention + CLAIM_MARGIN)
    written = []
    for tick in walk.ticks:
        if run_log.find_tick_run(job.name, isoformat(tick)) is not None:
            continue
        error, checks = missed_error(job, tick, prefix)
        if run_log.record_missed(job.name, tick, now, error, checks):
            written.append(isoformat(tick))
    if walk.checked_until is not None:
        run_log.advance_ticks_checked(job.name, walk.checked_until)
    return written


def late_run_of(run_log: RunLog, run: RunModel) -> str | None:
    """The run a MISSED tick's delivery started after all, past its grace; the tick claim names it."""
    if run.status != RunStatus.MISSED.value or run.scheduled_for is None:
        return None
    return run_log.find_tick_run(run.job, isoformat(run.scheduled_for))
