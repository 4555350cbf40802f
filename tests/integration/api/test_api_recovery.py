"""Retry and release over HTTP: the answers an admin (or the portal) gets, each with its status and shape.

The runs here are the conftest's flaky runs, whose failed item keys ("item-1") are no job's: the API still
answers for each of them, so these tests are about the route, not about a job's records (see
tests/integration/jobs/test_job_recovery.py for those).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

from functions.data.activity import Action
from functions.lifecycle.events import manual_payload
from functions.settings import get_settings
from tests.reliability.faults import Faults
from tests.unit.api.api_events import assert_error_shape, claims

TICK = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
REASON = {"reason": "contact data fixed"}
MISSING_RUN = "01KB0000000000000000000000"


def _partial_run(run_ticks) -> str:
    return run_ticks("sequences", [TICK], {"2026-11-28T09:00:00Z": "partial"})[0]


def test_given_a_partial_run_when_releasing_its_items_then_each_is_answered_and_the_action_recorded(
    api, run_ticks, run_log
):
    run_id = _partial_run(run_ticks)

    reply = api("POST", f"/runs/{run_id}/parked/release", body=REASON, caller=claims(username="dana"))

    assert reply.status == 200, reply.body
    assert reply.body["released"] == []
    assert reply.body["not_released"] == [
        {"key": "item-1", "reason": "'item-1' is not an item key of 'sequences'"}
    ]
    assert reply.body["summary"] == "released 0 of 1 item"
    assert reply.body["run"]["run_id"] == run_id
    (entry,) = run_log.list_activity("sequences", 5).entries
    assert (entry.action, entry.by.username, entry.reason, entry.run_id) == (
        Action.RELEASE_PARKED.value,
        "dana",
        REASON["reason"],
        run_id,
    )


def test_given_a_partial_run_when_retrying_then_a_linked_manual_run_is_queued_and_its_page_says_so(
    api, run_ticks, invoker
):
    run_id = _partial_run(run_ticks)

    reply = api("POST", f"/runs/{run_id}/retry", body=REASON, headers={"Idempotency-Key": "r-1"})

    assert reply.status == 202, reply.body
    new = reply.body["run"]
    assert (new["status"], new["trigger"], new["retry_of"]) == ("QUEUED", "MANUAL", run_id)
    assert new["reason"] == f"Retry of run {run_id}: {REASON['reason']}"
    assert reply.body["retried_run_id"] == run_id and reply.body["repeated"] is False
    assert urljoin(f"https://api.example/prod/runs/{run_id}/retry", reply.headers["Location"]) == (
        f"https://api.example/prod/runs/{new['run_id']}"
    )
    assert invoker.calls == [
        (get_settings().function_name("sequences"), manual_payload("sequences", new["run_id"]))
    ]
    assert api("GET", f"/runs/{new['run_id']}").body["retry_of"] == run_id
    assert api("GET", f"/runs/{run_id}").body["retried_by"] == [new["run_id"]]

    # A repeat with the same key (a double click, a retried request) gets the same run and starts nothing.
    repeat = api("POST", f"/runs/{run_id}/retry", body=REASON, headers={"Idempotency-Key": "r-1"})
    assert repeat.status == 202
    assert repeat.body["run"]["run_id"] == new["run_id"] and repeat.body["repeated"] is True
    assert len(invoker.calls) == 1
    # The same key for another reason is refused rather than answered with someone else's run.
    other = api("POST", f"/runs/{run_id}/retry", body={"reason": "other"}, headers={"Idempotency-Key": "r-1"})
    assert other.status == 422 and other.body["error"]["code"] == "IDEMPOTENCY_KEY_MISMATCH"


def test_given_a_run_in_flight_when_retrying_then_409_names_it_and_nothing_is_released(
    api, run_ticks, run_log, clock, invoker
):
    run_id = _partial_run(run_ticks)
    clock.advance(timedelta(minutes=1))
    busy = api("POST", "/jobs/sequences/runs", body={"reason": "someone else"}).body["run"]["run_id"]

    for path in (f"/runs/{run_id}/retry", f"/runs/{run_id}/parked/release"):
        reply = api("POST", path, body=REASON)
        assert reply.status == 409, reply.body
        assert_error_shape(reply)
        assert (reply.body["error"]["code"], reply.body["error"]["run_id"]) == ("RUN_IN_FLIGHT", busy)
    assert len(invoker.calls) == 1
    # Only the run now that holds the job is in its activity: the refused actions recorded nothing.
    assert [entry.action for entry in run_log.list_activity("sequences", 5).entries] == [Action.RUN_NOW.value]


def test_given_runs_that_cannot_be_retried_when_asked_then_the_refusal_says_why(api, run_ticks):
    ok = run_ticks("sequences", [TICK])[0]

    retry = api("POST", f"/runs/{ok}/retry", body=REASON)
    release = api("POST", f"/runs/{ok}/parked/release", body=REASON)
    missing = api("POST", f"/runs/{MISSING_RUN}/retry", body=REASON)
    not_an_id = api("POST", "/runs/nope/parked/release", body=REASON)
    no_reason = api("POST", f"/runs/{ok}/retry", body={"reason": " "})

    assert (retry.status, retry.body["error"]["code"]) == (409, "RUN_NOT_RETRYABLE")
    assert "SUCCEEDED" in retry.body["error"]["message"]
    assert (release.status, release.body["error"]["code"]) == (422, "NO_FAILED_ITEMS")
    assert (missing.status, missing.body["error"]["code"]) == (404, "RUN_NOT_FOUND")
    assert (not_an_id.status, not_an_id.body["error"]["code"]) == (404, "RUN_NOT_FOUND")
    assert (no_reason.status, no_reason.body["error"]["code"]) == (422, "VALIDATION_ERROR")
    for reply in (retry, release, missing, not_an_id, no_reason):
        assert_error_shape(reply)


def test_given_keys_the_run_does_not_list_when_releasing_them_then_422(api, run_ticks):
    run_id = _partial_run(run_ticks)

    reply = api("POST", f"/runs/{run_id}/parked/release", body={**REASON, "items": ["follow-up:f-9"]})

    assert (reply.status, reply.body["error"]["code"]) == (422, "NO_FAILED_ITEMS")


def _journal_refusing_writes() -> Faults:
    faults = Faults()
    faults.refuse_journal_writes()
    return faults


def test_given_the_journal_refusing_writes_when_retrying_then_the_run_starts_and_the_answer_says_so(
    api, run_ticks, run_log, invoker
):
    run_id = _partial_run(run_ticks)

    with _journal_refusing_writes().active() as faults:
        reply = api("POST", f"/runs/{run_id}/retry", body=REASON)

    assert faults.total == 1
    assert reply.status == 202, reply.body
    assert len(invoker.calls) == 1
    assert "RETRY was done, but it could not be recorded" in reply.headers["Audit-Warning"]
    assert run_log.list_activity("sequences", 5).entries == []


def test_given_the_journal_refusing_writes_when_releasing_then_the_answer_says_the_audit_is_missing(
    api, run_ticks, run_log
):
    run_id = _partial_run(run_ticks)

    with _journal_refusing_writes().active() as faults:
        reply = api("POST", f"/runs/{run_id}/parked/release", body=REASON)

    assert faults.total == 1
    assert reply.status == 200, reply.body
    assert "RELEASE_PARKED was done, but it could not be recorded" in reply.headers["Audit-Warning"]
