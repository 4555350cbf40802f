"""RFC 6238 time-based one-time codes, as an authenticator app computes them from its secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

STEP_SECONDS = 30
DIGITS = 6


def totp(secret: str, at: float | None = None) -> str:
    """The code for `secret` (base32, as Cognito's AssociateSoftwareToken returns it) at `at` (Unix time)."""
    key = base64.b32decode(secret.upper().replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    counter = int((time.time() if at is None else at) // STEP_SECONDS)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)
