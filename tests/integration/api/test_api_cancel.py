"""POST /runs/{run_id}/cancel: a reason required, 202 while in flight, 409 naming the status, 404 unknown."""

from __future__ import annotations

import pytest

from tests.unit.api.api_events import assert_error_shape, claims

ALICE = claims("admin", sub="sub-alice", username="alice")


def _queued(api) -> str:
    return api("POST", "/jobs/sequences/runs", body={"reason": "go"}).body["run"]["run_id"]


def test_given_a_queued_run_when_cancelled_then_202_and_the_run_shows_who_asked_and_why(api, clock):
    run_id = _queued(api)

    reply = api("POST", f"/runs/{run_id}/cancel", body={"reason": "started by mistake"}, caller=ALICE)

    assert reply.status == 202
    assert reply.body["run"]["status"] == "QUEUED"
    assert reply.body["run"]["cancel"] == {
        "by": "alice",
        "at": reply.body["run"]["cancel"]["at"],
        "reason": "started by mistake",
    }
    assert api("GET", f"/runs/{run_id}").body["cancel"]["by"] == "alice"


def test_given_a_finished_run_when_cancelled_then_409_naming_its_status(api, run_ticks, clock):
    [run_id] = run_ticks("sequences", [clock.now()])

    reply = api("POST", f"/runs/{run_id}/cancel", body={"reason": "too late"})

    assert reply.status == 409
    assert reply.error_code == "RUN_NOT_CANCELLABLE"
    assert reply.body["error"]["run_status"] == "SUCCEEDED"
    assert "SUCCEEDED" in reply.body["error"]["message"]
    assert_error_shape(reply)


def test_given_a_pending_cancel_when_cancelled_again_then_409_naming_who_asked_first(api):
    run_id = _queued(api)
    api("POST", f"/runs/{run_id}/cancel", body={"reason": "first"}, caller=ALICE)

    reply = api("POST", f"/runs/{run_id}/cancel", body={"reason": "second"})

    assert reply.status == 409
    assert "alice" in reply.body["error"]["message"]


def test_given_an_unknown_run_when_cancelled_then_404(api):
    reply = api("POST", "/runs/01KB5N5J00ZZZZZZZZZZZZZZZZ/cancel", body={"reason": "x"})

    assert reply.status == 404
    assert reply.error_code == "RUN_NOT_FOUND"


@pytest.mark.parametrize("body", [None, {}, {"reason": ""}, {"reason": "  "}, {"reason": "x" * 501}])
def test_given_no_reason_when_cancelling_then_422_and_nothing_is_marked(api, body):
    run_id = _queued(api)

    reply = api("POST", f"/runs/{run_id}/cancel", body=body)

    assert reply.status == 422
    assert_error_shape(reply)
    assert api("GET", f"/runs/{run_id}").body["cancel"] is None
