"""Template rendering: `{name}` placeholders only, never code, never re-expanded, escaped in HTML."""

from __future__ import annotations

import pytest

from functions.automations.delivery import compose
from functions.automations.templates import TemplateError, render, render_html, unknown_placeholders


def test_given_placeholders_when_rendered_then_each_is_replaced_and_a_missing_value_is_empty() -> None:
    assert render("Hi {first_name} at {company}!", {"first_name": "Ada", "company": None}) == "Hi Ada at !"


def test_given_format_syntax_when_rendered_then_it_stays_literal_text() -> None:
    values = {"name": "Ada"}

    assert (
        render("{name.__class__} {name!r} {0} {name:>10}", values)
        == "{name.__class__} {name!r} {0} {name:>10}"
    )


def test_given_a_value_that_looks_like_a_placeholder_when_rendered_then_it_is_not_expanded_again() -> None:
    assert (
        render("Dear {name}", {"name": "{owner_email}", "owner_email": "secret@x.example"})
        == "Dear {owner_email}"
    )


def test_given_a_placeholder_without_a_value_when_rendered_then_it_is_an_error() -> None:
    with pytest.raises(TemplateError, match=r"\{nickname\}"):
        render("Hi {nickname}", {"name": "Ada"})


def test_given_markup_in_template_and_values_when_rendered_as_html_then_both_are_escaped() -> None:
    html = render_html("Hi <b>{name}</b>,\nline two\n\nNew paragraph", {"name": "<script>x</script>"})

    assert html == (
        "<p>Hi &lt;b&gt;&lt;script&gt;x&lt;/script&gt;&lt;/b&gt;,<br>\nline two</p>\n<p>New paragraph</p>"
    )


def test_given_a_template_when_checked_then_unknown_placeholders_are_listed() -> None:
    assert unknown_placeholders("{name} {nick} {a_b} {name}", ["name"]) == ["a_b", "nick"]


def test_given_templates_when_composed_then_the_subject_is_one_line_and_the_parts_match() -> None:
    email = compose(
        ("ada@example.com",), "Hi\n{name}", "Dear {name}", {"name": "Ada & Co"}, reply_to=("o@x.example",)
    )

    assert email.subject == "Hi Ada & Co"
    assert email.text == "Dear Ada & Co" and email.html == "<p>Dear Ada &amp; Co</p>"
    assert email.reply_to == ("o@x.example",)
