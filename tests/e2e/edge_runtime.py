"""`python -m local` for the edge tests, and the one error shape their answers are checked for.

Started without demo data (quicker, and no job has items to send), with no schedule fired at start.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.local_runtime import LocalRuntime, start_local_runtime


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    """One runtime per test module; nothing the module sent may have printed a traceback."""
    with start_local_runtime("--no-demo-data") as started:
        yield started
        assert "Traceback" not in "\n".join(started.lines()), started.tail(80)


def error_of(body: bytes) -> dict[str, Any]:
    """The `error` object of an error answer, checked for the one error shape."""
    value = json.loads(body)
    assert set(value) == {"error"}, value
    error: dict[str, Any] = value["error"]
    assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), value
    return error
