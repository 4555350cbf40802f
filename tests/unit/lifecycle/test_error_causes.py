"""Errors that name their cause: the root exception, our frame that made the call, the whole chain."""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException

from functions.data.errors import StorageError, storage_errors
from functions.lifecycle.errors import all_items_failed, describe_exception, summarise_item_failures


class LibraryError(PynamoDBException):
    """Stands in for a pynamodb/botocore error; raised from a frame that is not ours."""


def _query_missing_index():
    # Simulates a library call failing inside our data-layer wrapper.
    exec(compile("raise LibraryError('index job-status-index not found')", "site-packages/lib.py", "exec"))


def _list_runs():
    with storage_errors("listing runs"):
        _query_missing_index()


def _caught(function):
    try:
        function()
    except Exception as error:
        return error
    raise AssertionError("expected an exception")


def test_given_a_wrapped_library_error_when_described_then_the_root_cause_is_in_the_message():
    error = _caught(_list_runs)

    described = describe_exception(error)

    assert isinstance(error, StorageError)
    assert described.type == "StorageError"
    assert described.message.startswith("listing runs failed")
    assert "caused by LibraryError: index job-status-index not found" in described.message


def test_given_a_wrapped_library_error_when_described_then_where_is_our_call_not_the_wrapper():
    described = describe_exception(_caught(_list_runs))

    assert described.where is not None
    assert "data/errors.py" not in described.where
    assert described.where.endswith("in _query_missing_index")
    assert described.where.startswith("tests/unit/lifecycle/test_error_causes.py:")


def test_given_a_chain_when_described_then_the_stack_lists_the_chain_then_our_frames_first():
    stack = describe_exception(_caught(_list_runs)).stack or ""

    lines = stack.splitlines()
    assert lines[0].startswith("StorageError: listing runs failed")
    assert lines[1] == "caused by LibraryError: index job-status-index not found"
    assert stack.index("Our code (innermost last):") < stack.index("Libraries and wrappers")
    assert stack.index("in _list_runs") < stack.index("site-packages/lib.py")
    assert "data/errors.py" in stack.split("Libraries and wrappers")[1]


def test_given_an_implicit_context_when_described_then_the_original_error_is_named():
    def handler():
        try:
            {}["contact-7"]
        except KeyError:
            raise RuntimeError("could not load the contact")  # noqa: B904 - the implicit context is the point

    described = describe_exception(_caught(handler))

    assert described.message == "could not load the contact (caused by KeyError: 'contact-7')"


def test_given_a_suppressed_context_when_described_then_only_the_raised_error_is_named():
    def handler():
        try:
            {}["contact-7"]
        except KeyError:
            raise RuntimeError("no contact") from None

    assert describe_exception(_caught(handler)).message == "no contact"


def test_given_items_failing_for_two_causes_when_summarised_then_counts_group_by_cause_not_address():
    errors = [
        {"key": "enrollment#1", "reason": "MessageRejected: Email address is not verified: a@example.com"},
        {"key": "enrollment#2", "reason": "MessageRejected: Email address is not verified: b@example.com"},
        {"key": "enrollment#3", "reason": "KeyError: 'step'"},
    ]

    summary = summarise_item_failures(errors, failed=3)

    assert summary == (
        "3 items failed: 2 for MessageRejected: Email address is not verified: <address>; "
        "1 for KeyError: 'step'"
    )


def test_given_more_failures_than_kept_when_summarised_then_the_count_is_the_real_one():
    summary = summarise_item_failures([{"key": "k", "reason": "boom"}], failed=120)

    assert summary == "120 items failed; of the first 1 kept: 1 for boom"
    assert summarise_item_failures([], failed=0) is None
    assert summarise_item_failures([{"key": "k", "reason": "boom"}]) == "1 item failed: 1 for boom"


def test_given_every_item_failed_then_the_error_counts_causes_and_names_the_items_to_read():
    errors = [{"key": f"follow-up#{n}", "reason": "owner has no email address"} for n in range(4)]

    error = all_items_failed(errors, failed=4)

    assert error.type == "AllItemsFailed"
    assert error.message == "4 items failed: 4 for owner has no email address"
    assert error.where == "the run's failed items (4 items: follow-up#0, follow-up#1, follow-up#2…)"
