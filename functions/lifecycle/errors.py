"""Turning a Python exception into the error a run records: type, message, trimmed stack, and where."""

from __future__ import annotations

import traceback

from functions.data.run_types import RunError

MAX_MESSAGE = 2000
MAX_STACK = 6000
MAX_FRAMES = 15


def describe_exception(error: BaseException) -> RunError:
    frames = traceback.extract_tb(error.__traceback__)
    where = None
    if frames:
        innermost = frames[-1]
        where = f"{innermost.filename.rsplit('/functions/', 1)[-1]}:{innermost.lineno} in {innermost.name}"
    stack = "".join(traceback.format_exception(type(error), error, error.__traceback__, limit=-MAX_FRAMES))
    return RunError(
        type=type(error).__name__,
        message=str(error)[:MAX_MESSAGE] or type(error).__name__,
        stack=stack[-MAX_STACK:],
        where=where,
    )
