"""One local origin for the portal: `/api/*` as API Gateway with its Cognito authorizer, `/auth` to Cognito,
`/logs/{run_id}` (the local stand-in for the CloudWatch link), `/config.json`, and the portal's static files.
"""

from __future__ import annotations

import base64
import html
import json
import mimetypes
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

from local.lambdas import InvokeResult
from local.logs import LogStore

API_PREFIX = "/api"
STAGE = "local"
# API Gateway's payload limit.
MAX_BODY_BYTES = 10 * 1024 * 1024
# The Cognito calls a signed-out browser makes; nothing else of the emulation is reachable through /auth.
AUTH_TARGETS = frozenset(
    f"AWSCognitoIdentityProviderService.{action}"
    for action in (
        "InitiateAuth",
        "RespondToAuthChallenge",
        "AssociateSoftwareToken",
        "VerifySoftwareToken",
        "SetUserMFAPreference",
        "ForgotPassword",
        "ConfirmForgotPassword",
        "GetUser",
        "GlobalSignOut",
        "RevokeToken",
    )
)
_LOGS_PATH = re.compile(r"^/logs/(?P<run_id>[0-9A-Za-z]{1,64})(?P<json>\.json)?$")
_TIME_CLAIMS = ("exp", "iat", "auth_time")


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, value: Any, headers: dict[str, str] | None = None) -> Response:
        return cls(
            status, json.dumps(value).encode(), {"Content-Type": "application/json", **(headers or {})}
        )


class TokenVerifier:
    """Checks an ID token as API Gateway's Cognito authorizer does: signature from the pool's JWKS,
    issuer, audience (the app client), expiry and token_use "id"."""

    def __init__(self, jwks_url: str, issuer: str, audience: str) -> None:
        self._keys = jwt.PyJWKClient(jwks_url, cache_keys=True)
        self._issuer = issuer
        self._audience = audience

    def claims(self, authorization: str | None) -> dict[str, Any] | None:
        if not authorization:
            return None
        token = authorization.removeprefix("Bearer ").strip()
        try:
            key = self._keys.get_signing_key_from_jwt(token).key
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iss", "aud", "sub", "token_use"]},
            )
        except jwt.PyJWTError:
            return None
        return claims if claims.get("token_use") == "id" else None


def authorizer_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as a REST API's Cognito authorizer passes them: every value a string, lists comma-joined,
    times in the Java date form API Gateway uses."""
    result = {}
    for name, value in claims.items():
        if isinstance(value, list):
            result[name] = ",".join(str(item) for item in value)
        elif isinstance(value, bool):
            result[name] = "true" if value else "false"
        elif name in _TIME_CLAIMS and isinstance(value, int | float):
            result[name] = datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
        else:
            result[name] = str(value)
    return result


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query as sent
    headers: list[tuple[str, str]]
    body: bytes
    client_ip: str

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        values = [value for key, value in self.headers if key.lower() == wanted]
        return values[-1] if values else None


InvokeApi = Callable[[dict[str, Any]], InvokeResult]


@dataclass
class Gateway:
    """Routes one request; `GatewayServer` only moves bytes. Configured once the emulation is provisioned."""

    origin: str  # http://127.0.0.1:<port>
    region: str
    user_pool_id: str
    client_id: str
    cognito_url: str
    verifier: TokenVerifier
    invoke_api: InvokeApi
    logs: LogStore
    portal_dir: Path
    # GET paths under /api that API Gateway serves without the authorizer (the report download links).
    public_routes: dict[str, InvokeApi] = field(default_factory=dict)

    def handle(self, request: Request) -> Response:
        path = request.path
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            return self._api(request)
        if path == "/auth":
            return self._auth(request) if request.method == "POST" else _method_not_allowed()
        if request.method not in ("GET", "HEAD"):
            return _method_not_allowed()
        if path == "/config.json":
            return Response.json(HTTPStatus.OK, self.portal_config(), {"Cache-Control": "no-store"})
        logs = _LOGS_PATH.match(path)
        if logs:
            return self._logs(logs["run_id"], as_json=bool(logs["json"]))
        return self._static(path)

    def portal_config(self) -> dict[str, str]:
        return {
            "apiUrl": self.origin + API_PREFIX,
            "authEndpoint": self.origin + "/auth",
            "region": self.region,
            "userPoolId": self.user_pool_id,
            "clientId": self.client_id,
            "stage": STAGE,
        }

    # --- /api -------------------------------------------------------------------------------------

    def _cors(self) -> dict[str, str]:
        return {"Access-Control-Allow-Origin": self.origin, "Vary": "Origin"}

    def _api(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            # A preflight carries no token; API Gateway answers it without calling the authorizer.
            return Response(
                HTTPStatus.NO_CONTENT,
                headers={
                    **self._cors(),
                    "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
                    "Access-Control-Allow-Headers": "Authorization,Content-Type,Idempotency-Key",
                    "Access-Control-Max-Age": "600",
                },
            )
        public = self.public_routes.get(request.path.removeprefix(API_PREFIX))
        if public is not None and request.method == "GET":
            result = public(self.proxy_event(request, {}))
        else:
            claims = self.verifier.claims(request.header("Authorization"))
            if claims is None:
                return Response.json(HTTPStatus.UNAUTHORIZED, {"message": "Unauthorized"}, self._cors())
            result = self.invoke_api(self.proxy_event(request, claims))
        if result.error is not None:
            # API Gateway hides the function's error; its own messages for these two cases.
            if result.timed_out:
                return Response.json(
                    HTTPStatus.GATEWAY_TIMEOUT, {"message": "Endpoint request timed out"}, self._cors()
                )
            return Response.json(HTTPStatus.BAD_GATEWAY, {"message": "Internal server error"}, self._cors())
        return _proxy_response(result.payload, self._cors())

    def proxy_event(self, request: Request, claims: Mapping[str, Any]) -> dict[str, Any]:
        """The REST API Lambda-proxy event for a `{proxy+}` resource, with the authorizer's claims."""
        parts = urlsplit(request.target)
        path = parts.path.removeprefix(API_PREFIX) or "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        multi_headers: dict[str, list[str]] = {}
        for name, value in request.headers:
            multi_headers.setdefault(name, []).append(value)
        now = datetime.now(UTC)
        return {
            "resource": "/{proxy+}",
            "path": path,
            "httpMethod": request.method,
            "headers": {name: values[-1] for name, values in multi_headers.items()},
            "multiValueHeaders": multi_headers,
            "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": {"proxy": path.lstrip("/")},
            "stageVariables": None,
            "requestContext": {
                "resourcePath": "/{proxy+}",
                "httpMethod": request.method,
                "path": f"/{STAGE}{path}",
                "stage": STAGE,
                "requestId": str(uuid.uuid4()),
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "protocol": "HTTP/1.1",
                "identity": {"sourceIp": request.client_ip, "userAgent": request.header("User-Agent")},
                "authorizer": {"claims": authorizer_claims(claims)},
            },
            "body": request.body.decode("utf-8", errors="replace") if request.body else None,
            "isBase64Encoded": False,
        }

    # --- /auth ------------------------------------------------------------------------------------

    def _auth(self, request: Request) -> Response:
        target = request.header("X-Amz-Target") or ""
        if target not in AUTH_TARGETS:
            return Response.json(
                HTTPStatus.BAD_REQUEST,
                {"__type": "UnknownOperationException", "message": f"'{target}' is not available here"},
            )
        forwarded = urllib.request.Request(
            self.cognito_url + "/",
            data=request.body,
            method="POST",
            # Cognito speaks JSON 1.1 whatever the browser labelled the body.
            headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
        )
        try:
            with urllib.request.urlopen(forwarded, timeout=30) as answer:
                return Response(
                    answer.status, answer.read(), {"Content-Type": answer.headers.get_content_type()}
                )
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read(), {"Content-Type": "application/x-amz-json-1.1"})

    # --- /logs ------------------------------------------------------------------------------------

    def _logs(self, run_id: str, as_json: bool) -> Response:
        lines = self.logs.lines(run_id)
        if as_json:
            return Response.json(HTTPStatus.OK, {"run_id": run_id, "lines": lines})
        return Response(
            HTTPStatus.OK, logs_page(run_id, lines).encode(), {"Content-Type": "text/html; charset=utf-8"}
        )

    # --- static portal ----------------------------------------------------------------------------

    def _static(self, path: str) -> Response:
        root = self.portal_dir.resolve()
        relative = path.lstrip("/") or "index.html"
        candidate = (root / relative).resolve()
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return Response(HTTPStatus.NOT_FOUND, b"Not found", {"Content-Type": "text/plain"})
        content_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type == "application/javascript":
            content_type += "; charset=utf-8"
        return Response(
            HTTPStatus.OK, candidate.read_bytes(), {"Content-Type": content_type, "Cache-Control": "no-cache"}
        )


def _method_not_allowed() -> Response:
    return Response.json(HTTPStatus.METHOD_NOT_ALLOWED, {"message": "Method not allowed"})


def _proxy_response(payload: Any, cors: dict[str, str]) -> Response:
    """Turns the function's proxy result into the HTTP response, as API Gateway does."""
    if not isinstance(payload, dict) or "statusCode" not in payload:
        return Response.json(HTTPStatus.BAD_GATEWAY, {"message": "Internal server error"}, cors)
    headers = {str(name): str(value) for name, value in (payload.get("headers") or {}).items()}
    for name, values in (payload.get("multiValueHeaders") or {}).items():
        # Joined with commas, which HTTP reads as the header repeated (Set-Cookie aside; the API sends none).
        headers[str(name)] = ",".join(str(value) for value in values)
    body = payload.get("body") or ""
    raw = base64.b64decode(body) if payload.get("isBase64Encoded") else str(body).encode()
    return Response(int(payload["statusCode"]), raw, headers)


def logs_page(run_id: str, lines: list[dict[str, Any]]) -> str:
    """A readable page of one run's structured log lines: the local stand-in for the Logs Insights link."""
    rows = []
    for line in lines:
        extra = {
            key: value
            for key, value in line.items()
            if key not in ("timestamp", "level", "message", "run_id", "service", "location")
        }
        rows.append(
            "<tr class='{level}'><td>{time}</td><td>{level}</td><td>{message}</td>"
            "<td><code>{extra}</code></td></tr>".format(
                time=html.escape(str(line.get("timestamp", ""))),
                level=html.escape(str(line.get("level", ""))),
                message=html.escape(str(line.get("message", ""))),
                extra=html.escape(json.dumps(extra, default=str)),
            )
        )
    body = (
        "<table><thead><tr><th>time</th><th>level</th><th>message</th><th>fields</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p>No log lines for this run yet. The local runtime keeps them in memory for this session.</p>"
    )
    escaped = html.escape(run_id)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Logs of run {escaped}</title>
<style>
body{{font:14px system-ui,sans-serif;margin:2rem;color:#1d2430}}
table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #dde2ea;padding:.35rem .5rem;text-align:left;vertical-align:top}}
code{{font-size:12px;color:#55607a;word-break:break-all}}
tr.ERROR td,tr.CRITICAL td{{background:#fdecec}} tr.WARNING td{{background:#fff7e0}}
</style></head><body>
<h1>Logs of run <code>{escaped}</code></h1>
<p><a href="/logs/{escaped}.json">as JSON</a></p>
{body}
</body></html>
"""


# --- HTTP ----------------------------------------------------------------------------------------------


class GatewayServer(ThreadingHTTPServer):
    """Bound at construction (so a busy port fails early); serves once `gateway` is set and started."""

    daemon_threads = True
    gateway: Gateway

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _GatewayHandler)


class _GatewayHandler(BaseHTTPRequestHandler):
    server: GatewayServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            response = Response.json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"message": "Request Too Long"})
        else:
            request = Request(
                method=self.command,
                target=self.path,
                headers=list(self.headers.items()),
                body=self.rfile.read(length) if length else b"",
                client_ip=self.client_address[0],
            )
            response = self.server.gateway.handle(request)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    # The names http.server looks up for each method.
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        """The API logs each request itself; an access line as well would double the console output."""
