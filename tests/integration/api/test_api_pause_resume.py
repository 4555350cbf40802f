"""Pause and resume: the EventBridge schedule is disabled or enabled, and who did it and why is recorded."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

from functions.clock import isoformat
from functions.settings import get_settings
from tests.unit.api.api_events import assert_error_shape, claims


def _schedule(job: str) -> dict:
    settings = get_settings()
    return boto3.client("scheduler").get_schedule(
        Name=settings.schedule_name(job), GroupName=settings.schedule_group
    )


def _definition(schedule: dict) -> dict:
    ignored = {"State", "LastModificationDate", "ResponseMetadata"}
    return {key: value for key, value in schedule.items() if key not in ignored}


def test_given_an_enabled_schedule_when_pausing_then_it_is_disabled_and_who_and_why_are_shown(api, clock):
    before = _schedule("follow-ups")

    reply = api(
        "POST",
        "/jobs/follow-ups/pause",
        body={"reason": "CRM migration this weekend"},
        caller=claims("ceo", sub="sub-ceo", username="morgan"),
    )

    assert reply.status == 200
    assert reply.body["health"] == "PAUSED"
    assert reply.body["paused"] == {
        "at": isoformat(clock.now()),
        "by": "morgan",
        "reason": "CRM migration this weekend",
    }
    assert reply.body["schedule"]["next_run_at"] is None
    after = _schedule("follow-ups")
    assert after["State"] == "DISABLED"
    assert _definition(after) == _definition(before)
    assert _schedule("sequences")["State"] == "ENABLED"


def test_given_a_paused_job_when_resuming_then_the_schedule_is_enabled_again(api, clock):
    api("POST", "/jobs/follow-ups/pause", body={"reason": "CRM migration"})
    clock.advance(timedelta(hours=2))

    reply = api("POST", "/jobs/follow-ups/resume", body={"reason": "migration done"})

    assert reply.status == 200
    assert reply.body["paused"] is None
    assert reply.body["health"] != "PAUSED"
    assert reply.body["schedule"]["next_run_at"] is not None
    assert _schedule("follow-ups")["State"] == "ENABLED"


@pytest.mark.parametrize("body", [None, {}, {"reason": None}])
def test_given_no_reason_when_resuming_then_it_still_resumes(api, body):
    api("POST", "/jobs/sequences/pause", body={"reason": "noisy"})

    reply = api("POST", "/jobs/sequences/resume", body=body)

    assert reply.status == 200
    assert _schedule("sequences")["State"] == "ENABLED"


@pytest.mark.parametrize("body", [None, {}, {"reason": ""}, {"reason": " \t"}, {"reason": "x" * 501}])
def test_given_no_reason_when_pausing_then_422_and_the_schedule_stays_enabled(api, body):
    reply = api("POST", "/jobs/sequences/pause", body=body)

    assert reply.status == 422
    assert reply.error_code == "VALIDATION_ERROR"
    assert_error_shape(reply)
    assert _schedule("sequences")["State"] == "ENABLED"


def test_given_a_paused_job_when_running_it_now_then_the_manual_run_is_accepted(api, invoker):
    api("POST", "/jobs/renewal-reminders/pause", body={"reason": "contract data being fixed"})

    reply = api("POST", "/jobs/renewal-reminders/runs", body={"reason": "one run with the fixed data"})

    assert reply.status == 202
    assert len(invoker.calls) == 1
    assert api("GET", f"/runs/{reply.body['run']['run_id']}").body["status"] == "QUEUED"


def test_given_a_paused_job_when_listing_jobs_then_it_shows_paused_with_who_and_why(api):
    api(
        "POST",
        "/jobs/scheduled-reports/pause",
        body={"reason": "quarter close"},
        caller=claims(username="alice"),
    )

    jobs = {status["job"]: status for status in api("GET", "/jobs").body["jobs"]}

    assert jobs["scheduled-reports"]["health"] == "PAUSED"
    assert jobs["scheduled-reports"]["paused"]["by"] == "alice"
    assert jobs["scheduled-reports"]["paused"]["reason"] == "quarter close"


def test_given_an_unknown_job_when_pausing_then_404_and_no_schedule_changes(api):
    reply = api("POST", "/jobs/newsletters/pause", body={"reason": "x"})

    assert reply.status == 404
    assert reply.error_code == "JOB_NOT_FOUND"


def test_given_a_job_whose_schedule_is_missing_when_pausing_then_404_schedule_not_found(api):
    settings = get_settings()
    boto3.client("scheduler").delete_schedule(
        Name=settings.schedule_name("sequences"), GroupName=settings.schedule_group
    )

    reply = api("POST", "/jobs/sequences/pause", body={"reason": "x"})

    assert reply.status == 404
    assert reply.error_code == "SCHEDULE_NOT_FOUND"
    assert api("GET", "/jobs/sequences").body["paused"] is None
