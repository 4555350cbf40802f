"""One local origin for the portal: `/api/*` as API Gateway with its Cognito authorizer, `/auth` to Cognito,
`/logs/{run_id}` (the local stand-in for the CloudWatch link), `/config.json`, and the portal's static files.
"""

from __future__ import annotations

import base64
import mimetypes
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

from functions.api.edges import GATEWAY_ERRORS, PAGE_CSP
from local.http_edge import EdgeServer, Request, Response
from local.lambdas import InvokeResult
from local.log_view import asset, logs_page
from local.logs import LogStore

API_PREFIX = "/api"
STAGE = "local"
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
# RFC 6750's credentials: the scheme is case-insensitive (RFC 7235), the token one b64token.
_BEARER = re.compile(r"bearer +(?P<token>[A-Za-z0-9._~+/-]+=*) *", re.IGNORECASE)
_NO_STORE = {"Cache-Control": "no-store"}


def bearer_token(authorization: str | None) -> str | None:
    match = _BEARER.fullmatch(authorization or "")
    return match["token"] if match else None


def gateway_error(response_type: str, status: int, message: str, headers: dict[str, str]) -> Response:
    """API Gateway's own answer of this type, as the deployed gateway responses write it."""
    answer = GATEWAY_ERRORS[response_type]
    return Response.error(answer.status or status, answer.code, answer.message or message, headers)


class TokenVerifier:
    """Checks an ID token as API Gateway's Cognito authorizer does: signature from the pool's JWKS,
    issuer, audience (the app client), expiry and token_use "id"."""

    def __init__(self, jwks_url: str, issuer: str, audience: str) -> None:
        self._keys = jwt.PyJWKClient(jwks_url, cache_keys=True)
        self._issuer = issuer
        self._audience = audience

    def claims(self, authorization: str | None) -> dict[str, Any] | None:
        token = bearer_token(authorization)
        if token is None:
            return None
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
            return Response.json(HTTPStatus.OK, self.portal_config())
        logs = _LOGS_PATH.match(path)
        if logs:
            return self._logs(request, logs["run_id"]) if logs["json"] else _page(logs_page(logs["run_id"]))
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
            return self._answer(public(self.proxy_event(request, {})))
        claims = self.verifier.claims(request.header("Authorization"))
        if claims is None:
            return self._unauthorized()
        return self._invoke(request, claims)

    def _unauthorized(self) -> Response:
        return gateway_error(
            "UNAUTHORIZED",
            HTTPStatus.UNAUTHORIZED,
            "Unauthorized",
            {**self._cors(), "WWW-Authenticate": "Bearer"},
        )

    def _invoke(self, request: Request, claims: Mapping[str, Any]) -> Response:
        return self._answer(self.invoke_api(self.proxy_event(request, claims)))

    def _answer(self, result: Any) -> Response:
        if result.error is not None:
            # API Gateway hides the function's error behind its own answer (DEFAULT_5XX).
            if result.timed_out:
                return gateway_error(
                    "DEFAULT_5XX", HTTPStatus.GATEWAY_TIMEOUT, "Endpoint request timed out", self._cors()
                )
            return gateway_error("DEFAULT_5XX", HTTPStatus.BAD_GATEWAY, "Internal server error", self._cors())
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
                content_type = answer.headers.get_content_type()
                # Tokens: no cache may keep them.
                return Response(answer.status, answer.read(), {"Content-Type": content_type, **_NO_STORE})
        except urllib.error.HTTPError as error:
            return Response(
                error.code, error.read(), {"Content-Type": "application/x-amz-json-1.1", **_NO_STORE}
            )

    # --- /logs ------------------------------------------------------------------------------------

    def _logs(self, request: Request, run_id: str) -> Response:
        """A run's lines, for whoever may read the run through the API: its answer decides (401/403/404)."""
        claims = self.verifier.claims(request.header("Authorization"))
        if claims is None:
            return self._unauthorized()
        lookup = Request("GET", f"{API_PREFIX}/runs/{run_id}", request.headers, b"", request.client_ip)
        answer = self._invoke(lookup, claims)
        if answer.status != HTTPStatus.OK:
            return answer
        return Response.json(HTTPStatus.OK, {"run_id": run_id, "lines": self.logs.lines(run_id)})

    # --- static portal ----------------------------------------------------------------------------

    def _static(self, path: str) -> Response:
        content = asset(path)
        name = path
        if content is None:
            found = self._portal_file(path)
            if found is None:
                return Response.error(HTTPStatus.NOT_FOUND, "NOT_FOUND", "There is no such page.")
            name, content = found.name, found.read_bytes()
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type == "application/javascript":
            content_type += "; charset=utf-8"
        headers = {"Content-Type": content_type, "Cache-Control": "no-cache"}
        if content_type.startswith("text/html"):
            headers["Content-Security-Policy"] = PAGE_CSP
        return Response(HTTPStatus.OK, content, headers)

    def _portal_file(self, path: str) -> Path | None:
        root = self.portal_dir.resolve()
        try:
            candidate = (root / (path.lstrip("/") or "index.html")).resolve()
            # A name too long or holding a NUL is no file of the portal's.
            found = candidate.is_relative_to(root) and candidate.is_file()
        except (OSError, ValueError):
            return None
        return candidate if found else None


def _page(text: str) -> Response:
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
        "Content-Security-Policy": PAGE_CSP,
    }
    return Response(HTTPStatus.OK, text.encode(), headers)


def _method_not_allowed() -> Response:
    return Response.error(HTTPStatus.METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "Method not allowed.")


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


# --- HTTP ----------------------------------------------------------------------------------------------


class GatewayServer(EdgeServer):
    """Serves once `gateway` is set and the server started."""

    gateway: Gateway

    def respond(self, request: Request) -> Response:
        return self.gateway.handle(request)
