"""Email templates with `{name}`-style placeholders, rendered safely.

Only `{identifier}` is special. Unlike str.format there is no attribute access, indexing or format spec (a
template could otherwise read `{contact.__class__}`), a value is inserted once and never expanded again (a
contact named "{owner_email}" stays literal), and the HTML rendering escapes the template's text and values.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")

Values = Mapping[str, str | None]


class TemplateError(ValueError):
    pass


def placeholders(template: str) -> set[str]:
    return set(PLACEHOLDER.findall(template))


def unknown_placeholders(template: str, allowed: Iterable[str]) -> list[str]:
    return sorted(placeholders(template) - set(allowed))


def _substitute(template: str, values: Values, escape: bool) -> str:
    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise TemplateError(f"the template uses {{{name}}}, which has no value here")
        text = values[name] or ""
        return html.escape(text) if escape else text

    return PLACEHOLDER.sub(value_of, template)


def render(template: str, values: Values) -> str:
    """Plain text: placeholders replaced by their values (a missing value renders empty)."""
    return _substitute(template, values, escape=False)


def render_html(template: str, values: Values) -> str:
    """The same text as HTML: blank lines separate paragraphs, single newlines become line breaks."""
    escaped = _substitute(html.escape(template, quote=False), values, escape=True)
    paragraphs = [
        part.strip().replace("\n", "<br>\n") for part in re.split(r"\n\s*\n", escaped) if part.strip()
    ]
    return "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
