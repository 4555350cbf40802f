"""The admin API over HTTP, as the portal calls it; its error answers become exit codes and hints."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from automation_cli.exits import CliError, ExitCode

TIMEOUT_SECONDS = 30
USER_AGENT = "devsphere-automation-cli"
# Gets an ID token; True asks for a fresh one (the API refused the last).
TokenSource = Callable[[bool], str]


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


class Api:
    def __init__(self, base_url: str, token: TokenSource, timeout: float = TIMEOUT_SECONDS) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout

    def get(self, path: str, query: Mapping[str, str | None] | None = None) -> Any:
        pairs = {name: value for name, value in (query or {}).items() if value is not None}
        target = path + ("?" + urllib.parse.urlencode(pairs) if pairs else "")
        return self.call("GET", target).body

    def post(self, path: str, body: Any, headers: Mapping[str, str] | None = None) -> Answer:
        return self.call("POST", path, body, headers)

    def call(
        self, method: str, path: str, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> Answer:
        answer = self._send(method, path, self._token(False), body, headers)
        if answer.status == 401:
            # The token may have expired between reading the cache and the call: one fresh try.
            answer = self._send(method, path, self._token(True), body, headers)
        if answer.status >= 400:
            raise _refusal(answer, self.base_url)
        if not isinstance(answer.body, dict):
            raise _not_the_api(answer, self.base_url)
        return answer

    def _send(
        self, method: str, path: str, token: str, body: Any, headers: Mapping[str, str] | None
    ) -> Answer:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {token}")
        request.add_header("Accept", "application/json")
        request.add_header("User-Agent", USER_AGENT)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise CliError(
                f"cannot reach the API at {self.base_url}: {reason}",
                ExitCode.UNREACHABLE,
                hint="check --api-url (or AUTOMATION_API_URL) and that the service is up",
            ) from None
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", errors="replace")
        return Answer(status, parsed)


def _error_of(body: Any) -> dict[str, Any]:
    if isinstance(body, dict):
        if isinstance(body.get("error"), dict):
            return body["error"]
        # API Gateway's own answers (before our function runs) carry only a message.
        if isinstance(body.get("message"), str):
            return {"message": body["message"]}
    return {}


def _not_the_api(answer: Answer, base_url: str) -> CliError:
    return CliError(
        f"the answer from {base_url} (HTTP {answer.status}) is not the automation API's",
        ExitCode.ERROR,
        hint="check --api-url (or AUTOMATION_API_URL): the stack's ApiUrl, or `make dev`'s URL with /api",
    )


def _refusal(answer: Answer, base_url: str) -> CliError:
    error = _error_of(answer.body)
    if not error:
        return _not_the_api(answer, base_url)
    message = str(error.get("message") or f"HTTP {answer.status}")
    if answer.status == 401:
        return CliError(
            "not signed in, or the session has ended", ExitCode.NOT_SIGNED_IN, hint="run `automation login`"
        )
    if answer.status == 403:
        return CliError(
            f"no access: {message}",
            ExitCode.FORBIDDEN,
            hint="ask an administrator to add your user to the admin or ceo group in the user pool",
        )
    if answer.status == 404:
        # The API names what was not found (JOB_NOT_FOUND, RUN_NOT_FOUND); any other 404 — a web page's,
        # or an unknown route — means the URL does not point at the API.
        if str(error.get("code", "")).endswith("_NOT_FOUND") and error.get("code") != "ROUTE_NOT_FOUND":
            return CliError(message, ExitCode.NOT_FOUND)
        return _not_the_api(answer, base_url)
    if answer.status == 409:
        blocking = error.get("run_id")
        return CliError(
            f"refused: {message}" + (f" (run {blocking})" if blocking else ""),
            ExitCode.REFUSED,
            hint=f"follow it with `automation run-detail {blocking}`" if blocking else None,
        )
    if answer.status in (400, 422):
        return CliError(message, ExitCode.USAGE)
    request_id = error.get("request_id")
    return CliError(
        f"the API failed (HTTP {answer.status}): {message}"
        + (f" [request id {request_id}]" if request_id else ""),
        ExitCode.ERROR,
    )
