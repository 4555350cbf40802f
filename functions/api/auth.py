"""Who is calling, from the Cognito claims API Gateway's authorizer put on the request, and may they."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import Request, Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from functions.data.run_types import Caller

ALLOWED_GROUPS = frozenset({"admin", "ceo"})
"""Cognito groups that may read status and logs, run a job now, and pause or resume it."""

# Cognito group names never contain whitespace or commas, so both separate names in every form seen.
_SEPARATORS = re.compile(r"[\s,]+")
_CALLER_KEY = "caller"


class AuthError(Exception):
    pass


class UnauthenticatedError(AuthError):
    """No signed-in identity on the request: the authorizer did not run or let an anonymous call through."""


class ForbiddenError(AuthError):
    """Signed in, but in none of the groups allowed to use this API."""


def parse_groups(raw: Any) -> tuple[str, ...]:
    """API Gateway REST sends "admin,ceo", HTTP APIs "[admin ceo]"; a JSON list or a real list also occur."""
    if isinstance(raw, list | tuple):
        names = [str(item) for item in raw]
    elif isinstance(raw, str):
        text = raw.strip()
        names = (_json_list(text) if text.startswith("[") else None) or _SEPARATORS.split(text.strip("[]"))
    else:
        return ()
    return tuple(dict.fromkeys(name.strip().strip('"') for name in names if name.strip().strip('"')))


def _json_list(text: str) -> list[str] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def claims_of(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    context = event.get("requestContext")
    authorizer = context.get("authorizer") if isinstance(context, Mapping) else None
    claims = authorizer.get("claims") if isinstance(authorizer, Mapping) else None
    return claims if isinstance(claims, Mapping) and claims else None


def caller_from_claims(claims: Mapping[str, Any] | None) -> Caller:
    sub = claims.get("sub") if claims else None
    if not claims or not isinstance(sub, str) or not sub:
        raise UnauthenticatedError("sign in to use this API")
    return Caller(
        sub=sub,
        username=_text(claims.get("cognito:username")),
        email=_text(claims.get("email")),
        groups=parse_groups(claims.get("cognito:groups")),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def authorize(event: BaseProxyEvent) -> Caller:
    """The caller, if in an allowed group; otherwise the reason the request is refused."""
    caller = caller_from_claims(claims_of(event.raw_event))
    if not ALLOWED_GROUPS.intersection(caller.groups):
        raise ForbiddenError("only the admin and ceo groups may use the automation API")
    return caller


def require_allowed_group(app: ApiGatewayResolver, next_middleware: NextMiddleware) -> Response:
    """Global middleware: every route, and the answer for unknown paths, is for allowed callers only.

    A CORS preflight carries no credentials by design and is answered without touching any data.
    """
    if app.current_event.http_method.upper() != "OPTIONS":
        app.append_context(**{_CALLER_KEY: authorize(app.current_event)})
    return next_middleware(app)


def was_authorized(context: Mapping[str, Any]) -> bool:
    """True once the request passed authorization, i.e. it reached our routes."""
    return _CALLER_KEY in context


def current_caller(request: Request) -> Caller:
    """Route dependency: the caller that `require_allowed_group` let through."""
    caller: Caller = request.context[_CALLER_KEY]
    return caller
