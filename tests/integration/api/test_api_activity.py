"""The activity trail: every admin action records who, when, why and which run; newest first, paged."""

from __future__ import annotations

from datetime import timedelta

from functions.clock import isoformat
from functions.data import platform_claims
from functions.data.run_fencing import Fence
from functions.data.run_types import Caller, Outcome, Unconfirmed
from functions.data.vocabulary import RunStatus
from tests.reliability.faults import Faults
from tests.unit.api.api_events import assert_error_shape, claims

MORGAN = claims("admin", sub="sub-morgan", username="morgan")
CLAIM_KEY = "SEND#enrollment:e-ada:step:0"


def _actions(api, job="follow-ups", **query):
    reply = api("GET", f"/jobs/{job}/activity", query=query)
    assert reply.status == 200
    return reply.body


def test_given_a_pause_and_a_resume_when_listing_activity_then_both_show_who_and_why_newest_first(api, clock):
    api("POST", "/jobs/follow-ups/pause", body={"reason": "CRM migration"}, caller=MORGAN)
    clock.advance(timedelta(hours=2))
    api("POST", "/jobs/follow-ups/resume", body={"reason": "migration done"}, caller=MORGAN)

    entries = _actions(api)["entries"]

    assert [(e["action"], e["by"], e["reason"]) for e in entries] == [
        ("RESUME", "morgan", "migration done"),
        ("PAUSE", "morgan", "CRM migration"),
    ]
    assert entries[0]["at"] == isoformat(clock.now())
    # The job's status carries the latest entries too: who resumed it, and why, is no longer lost.
    job = api("GET", "/jobs/follow-ups").body
    assert job["paused"] is None
    assert [e["action"] for e in job["activity"]] == ["RESUME", "PAUSE"]


def test_given_a_run_now_when_listing_activity_then_the_entry_links_the_new_run(api, clock):
    reply = api("POST", "/jobs/sequences/runs", body={"reason": "SMTP fixed"}, caller=MORGAN)

    [entry] = _actions(api, "sequences")["entries"]

    assert reply.status == 202
    assert "Audit-Warning" not in reply.headers
    assert entry == {
        "action": "RUN_NOW",
        "at": isoformat(clock.now()),
        "by": "morgan",
        "reason": "SMTP fixed",
        "run_id": reply.body["run"]["run_id"],
        "detail": None,
    }


def test_given_a_repeated_idempotent_run_now_when_listing_activity_then_it_is_recorded_once(api):
    headers = {"Idempotency-Key": "k-1"}
    api("POST", "/jobs/sequences/runs", body={"reason": "again"}, headers=headers)
    api("POST", "/jobs/sequences/runs", body={"reason": "again"}, headers=headers)

    assert [e["action"] for e in _actions(api, "sequences")["entries"]] == ["RUN_NOW"]


def test_given_a_cancel_when_listing_activity_then_it_is_recorded_with_the_run(api, clock):
    run = api("POST", "/jobs/sequences/runs", body={"reason": "go"}).body["run"]
    clock.advance(timedelta(seconds=5))

    reply = api("POST", f"/runs/{run['run_id']}/cancel", body={"reason": "wrong day"}, caller=MORGAN)

    assert reply.status == 202
    latest = _actions(api, "sequences")["entries"][0]
    assert (latest["action"], latest["by"], latest["reason"], latest["run_id"]) == (
        "CANCEL",
        "morgan",
        "wrong day",
        run["run_id"],
    )
    assert latest["detail"] == "cancel requested while QUEUED"


def test_given_a_release_of_unconfirmed_emails_when_listing_activity_then_it_says_how_many(
    api, run_log, clock
):
    now = clock.now()
    run_id = "01KB5N5J00AAAAAAAAAAAAAAAC"
    platform_claims.claim(CLAIM_KEY, run_id, now, now + timedelta(minutes=5), 4)
    run_log.create_queued("sequences", run_id, now, now + timedelta(minutes=20), Caller(sub="s"), "go")
    outcome = Outcome(
        RunStatus.FAILED,
        {"processed": 1, "succeeded": 0, "failed": 1, "skipped": 0},
        unconfirmed=[Unconfirmed(claim=CLAIM_KEY, item="enrollment:e-ada:step:0", reason="answer lost")],
    )
    run_log.finish(run_id, outcome, now, Fence.queued())
    clock.advance(timedelta(minutes=10))

    reply = api(
        "POST", f"/runs/{run_id}/unconfirmed/release", body={"reason": "not in SES stats"}, caller=MORGAN
    )

    assert reply.status == 200 and reply.body["released"] == [CLAIM_KEY]
    [entry] = _actions(api, "sequences")["entries"]
    assert (entry["action"], entry["run_id"], entry["detail"]) == (
        "RELEASE_UNCONFIRMED",
        run_id,
        "released 1 of 1 unconfirmed emails",
    )


def test_given_more_entries_than_a_page_when_paging_then_every_entry_is_seen_once_newest_first(api, clock):
    reasons = []
    for number in range(5):
        reason = f"reason {number}"
        reasons.append(reason)
        api("POST", "/jobs/follow-ups/pause", body={"reason": reason})
        clock.advance(timedelta(minutes=1))

    first = _actions(api, limit="2")
    second = _actions(api, limit="2", cursor=first["next_cursor"])
    third = _actions(api, limit="2", cursor=second["next_cursor"])

    seen = [e["reason"] for page in (first, second, third) for e in page["entries"]]
    assert seen == list(reversed(reasons))
    assert third["next_cursor"] is None


def test_given_a_malformed_cursor_when_listing_activity_then_422(api):
    reply = api("GET", "/jobs/follow-ups/activity", query={"cursor": "not-a-cursor"})

    assert reply.status == 422
    assert_error_shape(reply)


def test_given_an_unknown_job_when_listing_activity_then_404(api):
    reply = api("GET", "/jobs/nope/activity")

    assert reply.status == 404
    assert reply.error_code == "JOB_NOT_FOUND"


def test_given_the_journal_refusing_writes_when_running_now_then_the_run_starts_and_the_answer_says_so(
    api, run_log, invoker
):
    faults = Faults()
    faults.refuse_journal_writes()
    with faults.active():
        reply = api("POST", "/jobs/sequences/runs", body={"reason": "SMTP fixed"})

    assert faults.total == 1
    assert reply.status == 202
    assert len(invoker.calls) == 1
    assert run_log.get_run(reply.body["run"]["run_id"]).status == RunStatus.QUEUED
    assert "could not be recorded in the activity trail" in reply.headers["Audit-Warning"]
    assert _actions(api, "sequences")["entries"] == []


def test_given_the_journal_refusing_writes_when_pausing_then_the_job_is_paused_all_the_same(api, run_log):
    faults = Faults()
    faults.refuse_journal_writes()
    with faults.active():
        reply = api("POST", "/jobs/follow-ups/pause", body={"reason": "CRM migration"})

    assert faults.total == 1
    assert reply.status == 200 and reply.body["health"] == "PAUSED"
    assert "PAUSE was done, but it could not be recorded" in reply.headers["Audit-Warning"]
    assert run_log.get_state("follow-ups").paused is True
    assert _actions(api)["entries"] == []
