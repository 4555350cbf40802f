"""Page cursors: opaque, bound to their filters, and refused when malformed or altered."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.api.cursor import InvalidCursorError, decode_cursor, encode_cursor
from functions.ids import new_run_id

RUN_ID = new_run_id(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
FILTERS = {
    "job": "sequences",
    "status": "FAILED",
    "trigger": None,
    "from": datetime(2026, 11, 1, tzinfo=UTC),
    "to": None,
}


def test_given_a_cursor_when_decoded_with_its_filters_then_the_run_id_comes_back():
    assert decode_cursor(encode_cursor(RUN_ID, FILTERS), dict(FILTERS)) == RUN_ID


def test_given_a_cursor_when_encoded_then_it_is_url_safe_and_reveals_no_filter_values():
    cursor = encode_cursor(RUN_ID, FILTERS)

    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert "sequences" not in base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()


@pytest.mark.parametrize(
    "changed", [{"job": "follow-ups"}, {"status": None}, {"trigger": "MANUAL"}, {"from": None}, {"to": "x"}]
)
def test_given_a_cursor_when_decoded_with_other_filters_then_it_is_refused(changed):
    with pytest.raises(InvalidCursorError):
        decode_cursor(encode_cursor(RUN_ID, FILTERS), {**FILTERS, **changed})


def test_given_a_cursor_whose_run_id_was_edited_when_decoded_then_it_is_refused():
    cursor = encode_cursor(RUN_ID, FILTERS)
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload["after"] = new_run_id(datetime(2026, 11, 29, tzinfo=UTC))
    edited = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()

    with pytest.raises(InvalidCursorError):
        decode_cursor(edited, FILTERS)


@given(st.text(max_size=300))
def test_given_any_text_when_decoded_as_a_cursor_then_only_invalid_cursor_is_raised(text):
    try:
        run_id = decode_cursor(text, FILTERS)
    except InvalidCursorError:
        return
    assert run_id == RUN_ID
