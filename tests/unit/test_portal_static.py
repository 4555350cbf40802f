"""Cheap checks of the portal's static files: safe DOM use, local-only assets, imports that resolve,
the test hooks the browser tests rely on, and the formatting rules (run in Node when it is installed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

PORTAL = Path(__file__).resolve().parents[2] / "portal"
SCRIPTS = sorted(PORTAL.glob("*.js"))
IMPORT = re.compile(r"import\s*\{(?P<names>[^}]*)\}\s*from\s*\"(?P<path>\./[\w-]+\.js)\"")
EXPORT = re.compile(r"export\s+(?:async\s+)?(?:function|const|class|let)\s+(?P<name>\w+)")
MARKUP_SINKS = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function")
TEST_HOOKS = (
    "job-card-${",
    "health-${",
    "run-now-${",
    "pause-${",
    "resume-${",
    "run-reason",
    "run-submit",
    "run-outcome",
    "logs-table",
    "run-detail-status",
    "run-detail-error",
    "run-detail-logs-link",
    "signin-username",
    "signin-password",
    "signin-submit",
    "summary",
)


def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_given_the_portal_scripts_then_none_turns_a_string_into_markup_or_code():
    offenders = [(path.name, sink) for path in SCRIPTS for sink in MARKUP_SINKS if sink in _source(path)]

    assert SCRIPTS, "the portal has no scripts"
    assert offenders == []


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self.inline_scripts = 0
        self.inline_styles = 0
        self.csp: str | None = None
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "style" in values:
            self.inline_styles += 1
        if tag == "script":
            self._in_script = True
            if values.get("src"):
                self.references.append(str(values["src"]))
        if tag == "link" and values.get("rel") == "stylesheet":
            self.references.append(str(values["href"]))
        if tag == "meta" and values.get("http-equiv") == "Content-Security-Policy":
            self.csp = values.get("content")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1


def test_given_index_html_then_it_loads_only_its_own_files_under_a_policy_that_forbids_inline_code():
    assets = _Assets()
    assets.feed(_source(PORTAL / "index.html"))

    assert assets.references == ["styles.css", "app.js"]
    assert all((PORTAL / reference).is_file() for reference in assets.references)
    assert assets.inline_scripts == 0
    assert assets.inline_styles == 0
    assert assets.csp is not None
    assert "script-src 'self'" in assets.csp
    assert "unsafe-inline" not in assets.csp


def test_given_the_portal_files_then_none_names_an_outside_host():
    files = [*SCRIPTS, PORTAL / "index.html", PORTAL / "styles.css"]

    # The SVG namespace is an identifier in createElementNS, never fetched.
    outside = re.compile(r"https?://(?!www\.w3\.org/2000/svg\b)")
    assert [path.name for path in files if outside.search(_source(path))] == []


def test_given_the_modules_then_every_imported_name_is_exported_by_a_portal_file():
    exports = {path.name: set(EXPORT.findall(_source(path))) for path in SCRIPTS}
    missing = []
    imported = 0
    for path in SCRIPTS:
        for match in IMPORT.finditer(_source(path)):
            target = match["path"].removeprefix("./")
            names = {name.strip() for name in match["names"].split(",") if name.strip()}
            imported += len(names)
            missing += [f"{path.name}: {name} from {target}" for name in names - exports.get(target, set())]

    assert imported > 0
    assert missing == []


def test_given_the_browser_tests_then_every_hook_they_use_is_on_the_page():
    everything = "\n".join(_source(path) for path in [*SCRIPTS, PORTAL / "index.html"])

    assert [
        hook for hook in TEST_HOOKS if f'"{hook}' not in everything and f"`{hook}" not in everything
    ] == []


NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


@needs_node
def test_given_each_module_then_node_parses_it_as_an_es_module():
    for path in SCRIPTS:
        result = subprocess.run(
            [str(NODE), "--experimental-default-type=module", "--check", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{path.name}: {result.stderr}"


@needs_node
def test_given_run_values_when_formatted_then_durations_ids_and_outcomes_read_plainly():
    script = """
      import { durationText, headlineCount, outcomeText, percent, shortId } from "FORMAT";
      console.log(JSON.stringify({
        durations: [null, 850, 2345, 42000, 72000, 3780000].map(durationText),
        id: shortId("01JD2Q9V8Y0000000000ABCDEF"),
        headline: [
          headlineCount({ processed: 12, succeeded: 12, emails_sent: 12 }),
          headlineCount({ processed: 1 }),
          headlineCount({}),
        ],
        percent: [percent(1), percent(0.947), percent(null)],
        succeeded: outcomeText({ status: "SUCCEEDED", counts: { processed: 3, emails_sent: 3 } }),
        failed: outcomeText({ status: "FAILED", error: { type: "SmtpError", message: "535 auth failed" } }),
        partial: [
          outcomeText({ status: "PARTIAL", counts: { processed: 10, failed: 2 } }),
          outcomeText({ status: "PARTIAL", counts: { processed: 10, failed: 2, emails_sent: 8 } }),
        ],
      }));
    """.replace("FORMAT", (PORTAL / "format.js").as_uri())
    result = subprocess.run(
        [str(NODE), "--input-type=module", "-e", script], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "durations": ["—", "850 ms", "2.3 s", "42 s", "1 min 12 s", "1 h 3 min"],
        "id": "…00ABCDEF",
        "headline": ["12 emails sent", "1 item processed", "nothing was due (0 items processed)"],
        "percent": ["100%", "94.7%", "—"],
        "succeeded": "Succeeded — 3 emails sent",
        "failed": "Failed — SmtpError: 535 auth failed",
        "partial": [
            "Partly succeeded — 2 of 10 items failed",
            "Partly succeeded — 8 emails sent; 2 of 10 items failed",
        ],
    }
