"""The API's edge helpers: body limits counted without parsing, bounded echo, headers added once."""

from __future__ import annotations

import json

import pytest

from functions.api.edges import (
    MAX_BODY_BYTES,
    MAX_ECHO,
    MAX_JSON_DEPTH,
    BodyTooDeepError,
    BodyTooLargeError,
    bounded_json,
    echo,
    json_depth,
    with_security_headers,
)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ('{"reason": "x"}', 1),
        ('{"reason": "[[[[{{{{"}', 1),
        ('{"reason": "a \\" [[[ \\\\"}', 1),
        ("[[[]]]", 3),
        ('[{"a": [1, {"b": []}]}]', 5),
        ('"just a string"', 0),
    ],
)
def test_given_json_text_then_its_bracket_depth_ignores_brackets_inside_strings(
    text: str, depth: int
) -> None:
    assert json_depth(text) == depth


def test_given_a_body_nested_past_the_limit_or_too_large_then_it_is_refused_before_parsing() -> None:
    with pytest.raises(BodyTooDeepError):
        bounded_json("[" * 1000 + "]" * 1000)
    with pytest.raises(BodyTooLargeError):
        bounded_json(json.dumps({"reason": "é" * (MAX_BODY_BYTES // 2 + 1)}))
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert bounded_json(nested) == json.loads(nested)


def test_given_hostile_input_then_the_echo_is_one_bounded_line() -> None:
    echoed = echo("job\nforged\x1b[2J" + "n" * 500)

    assert "\n" not in echoed and "\x1b" not in echoed
    assert echoed.startswith("job\\nforged\\x1b[2J")
    assert len(echoed) == MAX_ECHO and echoed.endswith("…")


def test_given_a_proxy_result_then_security_headers_are_added_without_replacing_the_routes_own() -> None:
    result = with_security_headers(
        {"statusCode": 200, "multiValueHeaders": {"Cache-Control": ["max-age=60"]}, "body": "{}"}
    )

    headers = result["multiValueHeaders"]
    assert headers["Cache-Control"] == ["max-age=60"]
    assert headers["X-Content-Type-Options"] == ["nosniff"]
    assert headers["Referrer-Policy"] == ["no-referrer"]
    assert headers["Strict-Transport-Security"][0].startswith("max-age=")
