"""The API's edge: request bodies bounded before they are parsed, input echoed back bounded and escaped, and
the security headers every response carries (the same behind API Gateway and behind the local gateway).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Every request body of this API is one short reason; 16 KiB leaves room for any client's whitespace.
MAX_BODY_BYTES = 16 * 1024
# The deepest body the API accepts is an object holding strings; anything past a few levels is hostile,
# and Python's parser recurses (a body nested ~1,000 deep raises RecursionError).
MAX_JSON_DEPTH = 8
MAX_ECHO = 64

SECURITY_HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    # Run data names customers and carries tracebacks: no shared or browser cache keeps it.
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}

# The portal pages' CSP, sent as a header (where `frame-ancestors` works; a <meta> CSP cannot carry it) by the
# local gateway and by the portal's CloudFront response-headers policy alike.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' https:; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


@dataclass(frozen=True)
class GatewayError:
    """One of API Gateway's own answers (a gateway response) in the API's error shape.

    `status` None keeps API Gateway's status; `message` None keeps its message.
    """

    status: int | None
    code: str
    message: str | None


# Deployed as the REST API's gateway responses; the local gateway answers the same for the same cases.
GATEWAY_ERRORS: Mapping[str, GatewayError] = {
    "UNAUTHORIZED": GatewayError(401, "UNAUTHENTICATED", "Sign in to use this API."),
    "ACCESS_DENIED": GatewayError(403, "FORBIDDEN", "You may not use this API."),
    # API Gateway reports an unknown route as a missing token.
    "MISSING_AUTHENTICATION_TOKEN": GatewayError(404, "NOT_FOUND", "There is no such route."),
    "THROTTLED": GatewayError(429, "THROTTLED", "Too many requests; try again shortly."),
    "REQUEST_TOO_LARGE": GatewayError(413, "PAYLOAD_TOO_LARGE", "The request is too large."),
    "BAD_REQUEST_PARAMETERS": GatewayError(400, "VALIDATION_ERROR", None),
    "BAD_REQUEST_BODY": GatewayError(400, "VALIDATION_ERROR", None),
    "DEFAULT_4XX": GatewayError(None, "BAD_REQUEST", None),
    "DEFAULT_5XX": GatewayError(None, "INTERNAL_ERROR", "The request failed; try again."),
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class BodyTooLargeError(Exception):
    def __init__(self) -> None:
        super().__init__(f"the request body exceeds {MAX_BODY_BYTES} bytes")


class BodyTooDeepError(Exception):
    def __init__(self) -> None:
        super().__init__(f"the request body nests deeper than {MAX_JSON_DEPTH} levels")


def bounded_json(text: str) -> Any:
    """The API's JSON body parser: refuses oversized or deeply nested bodies before parsing them."""
    if len(text) > MAX_BODY_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise BodyTooLargeError()
    if json_depth(text) > MAX_JSON_DEPTH:
        raise BodyTooDeepError()
    return json.loads(text)


def json_depth(text: str) -> int:
    """How deeply the brackets of a JSON text nest, brackets inside strings aside; no recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def escape_controls(value: object) -> str:
    """The text with every control character (line breaks included) written as its escape: one line."""
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), str(value))


def echo(value: object) -> str:
    """Caller input fit to quote in an error: control characters escaped, at most MAX_ECHO characters."""
    text = escape_controls(value)
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 1] + "…"


def with_security_headers(result: dict[str, Any]) -> dict[str, Any]:
    """Adds the security headers to a proxy result, in whichever header map Powertools filled."""
    key = "multiValueHeaders" if "multiValueHeaders" in result else "headers"
    headers = dict(result.get(key) or {})
    present = {name.lower() for name in headers}
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:
            headers[name] = [value] if key == "multiValueHeaders" else value
    return {**result, key: headers}
