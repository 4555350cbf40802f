"""API Gateway REST proxy events as the Cognito-authorized API receives them, and a way to send them."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

ADMIN = "admin"
CEO = "ceo"
API_ID = "a1b2c3d4e5"
STAGE = "prod"

# (resource template, regex) of every route, so events carry the `resource` API Gateway would set.
_RESOURCES = [
    ("/jobs", r"/jobs"),
    ("/jobs/{job}", r"/jobs/(?P<job>[^/]+)"),
    ("/jobs/{job}/runs", r"/jobs/(?P<job>[^/]+)/runs"),
    ("/jobs/{job}/pause", r"/jobs/(?P<job>[^/]+)/pause"),
    ("/jobs/{job}/resume", r"/jobs/(?P<job>[^/]+)/resume"),
    ("/runs", r"/runs"),
    ("/runs/{run_id}", r"/runs/(?P<run_id>[^/]+)"),
    ("/openapi.json", r"/openapi\.json"),
]


def claims(
    groups: str | None = ADMIN,
    *,
    sub: str = "5f1c7a52-0000-4000-8000-000000000001",
    username: str = "alice",
    email: str = "alice@devsphere.example",
) -> dict[str, str]:
    """Claims as the REST API's Cognito authorizer passes them: all strings, groups comma-joined."""
    values = {
        "sub": sub,
        "cognito:username": username,
        "email": email,
        "email_verified": "true",
        "iss": "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Example",
        "aud": "example-client-id",
        "token_use": "id",
        "auth_time": "1795856400",
        "exp": "Sat Nov 28 10:00:00 UTC 2026",
        "iat": "Sat Nov 28 09:00:00 UTC 2026",
    }
    if groups is not None:
        values["cognito:groups"] = groups
    return values


def _resource(path: str) -> tuple[str, dict[str, str] | None]:
    for template, pattern in _RESOURCES:
        match = re.fullmatch(pattern, path)
        if match:
            return template, match.groupdict() or None
    return "/{proxy+}", {"proxy": path.lstrip("/")}


def api_event(
    method: str,
    path: str,
    *,
    caller: dict[str, Any] | None = None,
    signed_in: bool = True,
    query: dict[str, str | list[str]] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    base64_encoded: bool = False,
) -> dict[str, Any]:
    """A REST proxy event; `body` that is not a str is sent as JSON. `signed_in=False` drops the claims."""
    resource, path_parameters = _resource(path)
    all_headers = {
        "Accept": "application/json",
        "Host": f"{API_ID}.execute-api.eu-west-2.amazonaws.com",
        "User-Agent": "Mozilla/5.0",
        "X-Forwarded-Proto": "https",
        **({"Authorization": "Bearer eyJraWQiOi.example.token"} if signed_in else {}),
        **({"Content-Type": "application/json"} if body is not None else {}),
        **(headers or {}),
    }
    multi_query = {key: value if isinstance(value, list) else [value] for key, value in (query or {}).items()}
    request_id = str(uuid.uuid4())
    authorizer = {"claims": caller if caller is not None else claims()} if signed_in else None
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {key: [value] for key, value in all_headers.items()},
        "queryStringParameters": {key: values[-1] for key, values in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": request_id[:16],
            "requestTime": "28/Nov/2026:09:00:00 +0000",
            "path": f"/{STAGE}{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": API_ID,
            "requestTimeEpoch": 1795856400000,
            "requestId": request_id,
            "identity": {"sourceIp": "203.0.113.10", "userAgent": "Mozilla/5.0"},
            "domainName": f"{API_ID}.execute-api.eu-west-2.amazonaws.com",
            "apiId": API_ID,
            **({"authorizer": authorizer} if authorizer else {}),
        },
        "body": body if body is None or isinstance(body, str) else json.dumps(body),
        "isBase64Encoded": base64_encoded,
    }


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any
    raw_body: str = field(repr=False)

    @property
    def error_code(self) -> str | None:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return error.get("code") if isinstance(error, dict) else None


def send(event: dict[str, Any], context: Any) -> Reply:
    """Calls the Lambda entry point the way API Gateway does and decodes its answer."""
    from functions.api.app import handler

    response = handler(event, context)
    headers = {key: values[-1] for key, values in (response.get("multiValueHeaders") or {}).items()}
    headers.update(response.get("headers") or {})
    raw = response["body"]
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    return Reply(response["statusCode"], headers, body, raw)


def assert_error_shape(reply: Reply) -> None:
    error = reply.body["error"]
    assert re.fullmatch(r"[A-Z][A-Z_]*", error["code"]), reply.raw_body
    assert isinstance(error["message"], str) and error["message"], reply.raw_body
