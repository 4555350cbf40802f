"""The local log view (the stand-in for the CloudWatch Logs Insights link): a page holding no run data,
whose script fetches `/logs/<run_id>.json` with the portal's token, so the lines need a signed-in admin.
"""

from __future__ import annotations

import html
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "log_view_assets"
# Served at these paths, beside the portal's own files.
ASSET_PATHS = {"/logs-view.js": "view.js", "/logs-view.css": "view.css"}


def logs_page(run_id: str) -> str:
    escaped = html.escape(run_id)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Logs of run {escaped}</title>
<link rel="stylesheet" href="/logs-view.css">
<script type="module" src="/logs-view.js"></script>
</head><body data-run-id="{escaped}">
<h1>Logs of run <code>{escaped}</code></h1>
<p><a href="/#/runs/{escaped}">Back to the run</a></p>
<p id="status" role="status">Loading…</p>
<table id="lines" hidden>
<thead><tr><th>time</th><th>level</th><th>message</th><th>fields</th></tr></thead>
<tbody></tbody>
</table>
</body></html>
"""


def asset(path: str) -> bytes | None:
    name = ASSET_PATHS.get(path)
    return (ASSETS / name).read_bytes() if name else None
