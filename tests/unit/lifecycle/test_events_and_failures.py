"""Pure parsing: invocation payloads, destination records, run ids and exception descriptions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.data.vocabulary import RunStatus
from functions.ids import (
    is_run_id,
    new_run_id,
    run_id_ceiling,
    run_id_floor,
    run_id_predecessor,
    run_id_time,
)
from functions.lifecycle.errors import describe_exception
from functions.lifecycle.events import (
    ContinuationInvocation,
    InvalidEventError,
    ManualInvocation,
    ScheduledInvocation,
    continuation_payload,
    manual_payload,
    parse_invocation,
    scheduled_payload,
)
from functions.lifecycle.failures import classify

MOMENT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_given_each_payload_builder_when_parsed_then_the_invocation_round_trips():
    run_id = new_run_id(MOMENT)

    assert parse_invocation(
        scheduled_payload("sequences", "2026-11-28T09:00:00Z", "x")
    ) == ScheduledInvocation("sequences", MOMENT, "x")
    assert parse_invocation(manual_payload("sequences", run_id)) == ManualInvocation("sequences", run_id)
    assert parse_invocation(continuation_payload("sequences", run_id, 3)) == ContinuationInvocation(
        "sequences", run_id, 3
    )


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("text", "not a JSON object"),
        ({"trigger": "SCHEDULE"}, "names no job"),
        ({"job": "sequences", "trigger": "SCHEDULE", "scheduled_time": "yesterday"}, "scheduled_time"),
        (
            {"job": "sequences", "trigger": "SCHEDULE", "scheduled_time": "2026-11-28T09:00:00"},
            "scheduled_time",
        ),
        ({"job": "sequences", "trigger": "MANUAL", "run_id": "nope"}, "run_id"),
        (
            {"job": "sequences", "trigger": "CONTINUATION", "run_id": new_run_id(MOMENT), "segment": 1},
            "segment",
        ),
    ],
)
def test_given_a_malformed_payload_when_parsed_then_the_error_names_the_problem(event, message):
    with pytest.raises(InvalidEventError, match=message):
        parse_invocation(event)


def test_given_run_ids_when_sorted_then_they_sort_by_creation_time():
    earlier, later = new_run_id(MOMENT), new_run_id(datetime(2026, 11, 28, 9, 0, 1, tzinfo=UTC))

    assert earlier < later
    assert is_run_id(earlier) and not is_run_id("short")
    assert run_id_time(earlier) == MOMENT
    assert run_id_floor(MOMENT) <= earlier <= run_id_ceiling(MOMENT)
    assert run_id_predecessor(earlier) < earlier
    assert run_id_predecessor("01M8GP3ZM00000000000000010") == "01M8GP3ZM0000000000000000Z"


def test_given_a_timeout_record_when_classified_then_timed_out():
    failure = classify(
        {
            "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3},
            "responsePayload": {
                "errorType": "Sandbox.Timedout",
                "errorMessage": "Task timed out after 3.00 seconds",
            },
        }
    )

    assert failure.status is RunStatus.TIMED_OUT
    assert failure.error.where == "lambda (RetriesExhausted, 3 attempts)"


def test_given_an_expired_event_record_when_classified_then_failed_with_the_reason():
    failure = classify({"requestContext": {"condition": "EventAgeExceeded"}})

    assert failure.status is RunStatus.FAILED
    assert failure.error.type == "EventAgeExceeded"
    assert "expired" in failure.error.message


def test_given_an_exception_when_described_then_type_message_stack_and_where_are_kept():
    def deep():
        raise KeyError("contact-7")

    try:
        deep()
    except KeyError as error:
        described = describe_exception(error)

    assert described.type == "KeyError"
    assert described.message == "'contact-7'"
    assert described.where is not None and described.where.endswith("in deep")
    assert "raise KeyError" in (described.stack or "")
