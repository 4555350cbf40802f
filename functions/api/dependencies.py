"""What the routes need from outside, injected with Powertools `Depends`.

Each is built on first use and kept for the life of the Lambda container (clients are expensive to make,
and importing the API must not create any). Tests replace them through `app.dependency_overrides`.
"""

from __future__ import annotations

from functools import cache

from functions.clock import SYSTEM_CLOCK, Clock
from functions.data.run_log import RunLog
from functions.data.schedules import Schedules
from functions.lifecycle.invoker import LambdaInvoker
from functions.settings import get_settings


def get_clock() -> Clock:
    return SYSTEM_CLOCK


@cache
def get_run_log() -> RunLog:
    return RunLog(get_settings().retention_days)


@cache
def get_invoker() -> LambdaInvoker:
    return LambdaInvoker()


@cache
def get_schedules() -> Schedules:
    return Schedules()
