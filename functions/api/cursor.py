"""Opaque page cursors for the run log: the last run id shown, bound to the filters of the query.

The cursor is not secret (it only narrows a query the caller may run anyway); the check digest makes a
cursor replayed with other filters, or edited, fail loudly instead of silently returning another page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from functions.ids import is_run_id

_VERSION = 1
_CHECK_BYTES = 12


class InvalidCursorError(Exception):
    pass


def _check(run_id: str, filters: Mapping[str, Any]) -> str:
    material = json.dumps([_VERSION, run_id, filters], sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(material.encode()).digest()[:_CHECK_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode_cursor(last_run_id: str, filters: Mapping[str, Any]) -> str:
    payload = {"v": _VERSION, "after": last_run_id, "check": _check(last_run_id, filters)}
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(token: str, filters: Mapping[str, Any]) -> str:
    """The run id to continue after; InvalidCursorError when malformed or from a different query."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw.decode())
    except (binascii.Error, ValueError):
        raise InvalidCursorError("the cursor is malformed") from None
    if not isinstance(payload, dict) or payload.get("v") != _VERSION:
        raise InvalidCursorError("the cursor is malformed")
    run_id, check = payload.get("after"), payload.get("check")
    if not isinstance(run_id, str) or not is_run_id(run_id) or not isinstance(check, str):
        raise InvalidCursorError("the cursor is malformed")
    if check != _check(run_id, filters):
        raise InvalidCursorError("the cursor belongs to a query with other filters, or was altered")
    return run_id
