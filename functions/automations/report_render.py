"""A report table as CSV (for spreadsheets) and as a small self-contained HTML page (for reading)."""

from __future__ import annotations

import csv
import io
from html import escape

from functions.automations.reports import ReportTable

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#1f2933}"
    "table{border-collapse:collapse}th,td{border:1px solid #cbd2d9;padding:.35rem .6rem;text-align:left}"
    "th{background:#f0f4f8}"
)


def to_csv(table: ReportTable) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    return buffer.getvalue()


def to_html(table: ReportTable) -> str:
    summary = "".join(
        f"<li>{escape(label)}: <strong>{escape(value)}</strong></li>" for label, value in table.summary
    )
    head = "".join(f"<th>{escape(column)}</th>" for column in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    empty = "" if table.rows else f'<tr><td colspan="{len(table.columns)}">Nothing to report.</td></tr>'
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(table.title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{escape(table.title)}</h1><p>{escape(table.subtitle)}</p>"
        f"<ul>{summary}</ul><table><thead><tr>{head}</tr></thead><tbody>{body}{empty}</tbody></table></body></html>\n"
    )
