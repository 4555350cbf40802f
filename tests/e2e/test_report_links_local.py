"""`make dev`: the report email's link opens the report through the local gateway, with no sign-in."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.e2e.test_local_runtime import _eventually, runtime
from tests.support.local_runtime import LocalRuntime

pytestmark = pytest.mark.e2e
__all__ = ["runtime"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _emailed_link(runtime: LocalRuntime) -> str | None:
    """A report link from the mail the local SES accepted (moto's data view)."""
    sent = _get(f"{runtime.moto_url}/moto-api/data.json")[2].decode()
    pattern = re.escape(f"{runtime.origin}/api/reports/download?token=") + r"[A-Za-z0-9_.\-]+"
    found = re.findall(pattern, sent)
    return found[0] if found else None


def test_given_fire_now_when_the_report_email_link_is_opened_signed_out_then_the_report_downloads(
    runtime: LocalRuntime,
) -> None:
    link = _eventually("a report email with a download link", lambda: _emailed_link(runtime))

    status, headers, _ = _get(link)

    assert status == 302, headers
    report_status, _, report = _get(headers["Location"])
    assert report_status == 200
    assert b"<table" in report


def test_given_a_forged_report_link_when_opened_then_the_gateway_answers_a_json_refusal(
    runtime: LocalRuntime,
) -> None:
    status, headers, body = _get(f"{runtime.origin}/api/reports/download?token=forged.token")

    assert status == 403 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "INVALID_LINK"
