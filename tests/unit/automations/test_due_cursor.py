"""The page cursor: opaque text that carries the run's as-of time and DynamoDB's last key between pages."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.automations.items import decode_cursor, encode_cursor

AS_OF = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
LAST_KEY = {
    "pk": {"S": "enrollment#e-1"},
    "due_bucket": {"S": "enrollment"},
    "due_at": {"S": "2026-11-28T08:00:00Z"},
}


def test_given_a_last_key_when_encoded_and_decoded_then_the_position_comes_back() -> None:
    cursor = encode_cursor(AS_OF, LAST_KEY)

    assert cursor is not None and "enrollment" not in cursor
    position = decode_cursor(cursor, datetime(2026, 11, 28, 9, 30, tzinfo=UTC))
    assert (position.as_of, position.start_key) == (AS_OF, LAST_KEY)


def test_given_no_last_key_when_encoded_then_there_is_no_next_page() -> None:
    assert encode_cursor(AS_OF, None) is None


def test_given_no_cursor_when_decoded_then_the_run_starts_at_now_from_the_first_item() -> None:
    position = decode_cursor(None, AS_OF)

    assert (position.as_of, position.start_key) == (AS_OF, None)
