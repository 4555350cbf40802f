"""Job-state writes that are not part of a run: tracking, pause and resume, the tick watermark."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.update import Action

from functions.data.errors import is_condition_failure, storage_errors
from functions.data.models import JobStateModel, job_state_key
from functions.data.run_types import Caller


class JobStateWrites:
    def ensure_tracking(self, job: str, now: datetime) -> None:
        """Marks when the service started expecting ticks of a job: earlier ticks never count as missed."""
        with storage_errors("starting to track a job"):
            try:
                JobStateModel(job_state_key(job)).update(
                    actions=[JobStateModel.job.set(job), JobStateModel.tracking_since.set(now)],
                    condition=JobStateModel.tracking_since.does_not_exist(),
                )
            except PynamoDBException as error:
                if not is_condition_failure(error):
                    raise

    def set_paused(self, job: str, paused: bool, caller: Caller, reason: str | None, now: datetime) -> None:
        actions: list[Action] = [
            JobStateModel.job.set(job),
            JobStateModel.paused.set(paused),
            JobStateModel.paused_by.set(caller.to_attribute()),
            JobStateModel.paused_reason.set(reason) if reason else JobStateModel.paused_reason.remove(),
        ]
        actions.append(JobStateModel.paused_at.set(now) if paused else JobStateModel.resumed_at.set(now))
        with storage_errors("pausing a job"):
            JobStateModel(job_state_key(job)).update(actions=actions)

    def advance_ticks_checked(self, job: str, until: datetime) -> None:
        """Moves the tick watermark forward only: a slower concurrent pass never moves it back."""
        with storage_errors("recording the ticks checked"):
            try:
                JobStateModel(job_state_key(job)).update(
                    actions=[JobStateModel.job.set(job), JobStateModel.ticks_checked_until.set(until)],
                    condition=JobStateModel.ticks_checked_until.does_not_exist()
                    | (JobStateModel.ticks_checked_until < until),
                )
            except PynamoDBException as error:
                if not is_condition_failure(error):
                    raise
