"""Property-based run from docs/openapi.json (schemathesis) against the local gateway over HTTP, with real
Cognito ID tokens from the local pool: every operation, valid and invalid inputs, as an admin, as a signed-in
user of another group and signed out. No 5xx, every status and body as documented, every 4xx in the error
shape. Bounded: a few dozen examples per operation and mode, so run-now starts at most a few dozen runs
(most repeats find the job's run in flight and get 409).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from tests.e2e.edge_runtime import runtime
from tests.support.local_runtime import LocalRuntime

pytestmark = pytest.mark.e2e
__all__ = ["runtime"]

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
EXAMPLES_PER_OPERATION = 25
CALLERS = ("admin", "ceo", "viewer", None)


@pytest.fixture(scope="module")
def tokens(runtime: LocalRuntime) -> dict[str, str]:
    return {user: runtime.token(user) for user in CALLERS if user}


@pytest.fixture(scope="module")
def tried(pytestconfig: pytest.Config) -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()
    yield counts
    summary = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
    # Shown whatever the capture mode: the count is what this run proves.
    with pytestconfig.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print(f"\nproperty-based run: {sum(counts.values())} requests tried ({summary})")


def error_shape(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool:
    """Every 4xx is `{"error": {"code", "message", ...}}` and leaks no traceback."""
    if 400 <= response.status_code < 500:
        body = response.json()
        assert isinstance(body, dict) and set(body) == {"error"}, body
        assert isinstance(body["error"].get("code"), str), body
        assert isinstance(body["error"].get("message"), str), body
        assert "Traceback" not in response.text
    return True


def _in_order(query: dict[str, Any]) -> None:
    """`from` after `to` is valid for the schema but not for the API (a 422 no schema can express)."""
    if "from" in query and "to" in query:
        try:
            start, end = (
                datetime.fromisoformat(str(query[name]).replace("Z", "+00:00")) for name in ("from", "to")
            )
        except ValueError:
            return
        if start > end:
            query["from"], query["to"] = query["to"], query["from"]


def _operations() -> list[Any]:
    schema = schemathesis.openapi.from_path(DOCUMENT)
    return [result.ok() for result in schema.get_all_operations()]


OPERATIONS = _operations()


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_given_generated_requests_from_the_openapi_document_then_every_answer_is_as_documented(
    runtime: LocalRuntime,
    tokens: dict[str, str],
    tried: Counter[str],
    operation: Any,
    mode: schemathesis.GenerationMode,
) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), caller=st.sampled_from(CALLERS))
    def check(case: schemathesis.Case, caller: str | None) -> None:
        headers = {"Authorization": f"Bearer {tokens[caller]}"} if caller else {}
        if not caller and case.headers:
            case.headers.pop("Authorization", None)
        if mode is schemathesis.GenerationMode.NEGATIVE:
            # Unknown query parameters are ignored by design (as API Gateway passes them on; pinned by
            # tests/integration/api/test_api_status_and_logs.py), so a case whose only fault is an extra
            # one is not a request the API must refuse.
            known = {parameter.name for parameter in operation.query}
            assume(not set(case.query or {}) - known)
        if mode is schemathesis.GenerationMode.POSITIVE and case.query:
            # A cursor is an opaque token only the server makes (signed, bound to its filters): a generated
            # one is rightly refused with 400, so valid requests page from the start. Generated cursors are
            # still sent in the negative mode, and tests/unit/api/test_api_cursor.py covers forged ones.
            case.query.pop("cursor", None)
            _in_order(case.query)
        response = case.call(base_url=f"{runtime.origin}/api", headers=headers)
        tried[operation.label] += 1
        assert response.status_code < 500, (response.status_code, response.text)
        case.validate_response(response, headers=headers, additional_checks=[error_shape])

    check()
