"""Reading a refused run write: a cancel mark on a run the writer's segment still owns, or not a cancel."""

from __future__ import annotations

from typing import Any

import pytest

from functions.data.run_fencing import Fence, refused_by_cancel

MARK = {
    "M": {"by": {"M": {"sub": {"S": "s-1"}, "username": {"S": "alice"}}}, "reason": {"S": "wrong template"}}
}


def _stored(
    status: str = "RUNNING", segment: str = "2", cancel: dict[str, Any] | None = MARK
) -> dict[str, Any]:
    item: dict[str, Any] = {"status": {"S": status}, "segment": {"N": segment}}
    if cancel is not None:
        item["cancel"] = cancel
    return item


def test_given_a_cancel_mark_on_the_writers_segment_then_it_is_a_cancel_naming_who_and_why():
    cancel = refused_by_cancel("r-1", Fence.segment(2), _stored())

    assert cancel is not None
    assert (cancel.by, cancel.reason) == ("alice", "wrong template")
    assert str(cancel) == "run r-1 was cancelled by alice: wrong template"


@pytest.mark.parametrize(
    "stored",
    [
        _stored(segment="3"),  # a newer segment owns the run: this writer is stale
        _stored(status="TIMED_OUT"),  # the watchdog closed it
        _stored(cancel=None),  # refused for another reason
        None,  # nothing stored came back
    ],
)
def test_given_a_refusal_that_is_not_this_writers_cancel_then_it_is_not_read_as_one(stored):
    assert refused_by_cancel("r-1", Fence.segment(2), stored) is None


def test_given_a_fence_without_a_segment_then_a_refusal_is_never_read_as_a_cancel():
    assert refused_by_cancel("r-1", Fence.queued(), _stored()) is None
