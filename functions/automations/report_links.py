"""Report download links: a signed, expiring token naming one stored report file.

A link is `<download URL>?token=<payload>.<signature>`: the payload is base64url JSON of the object key and
the expiry (Unix seconds), the signature base64url HMAC-SHA256 of the payload under the key kept in Secrets
Manager. The download function (functions.api.report_download) accepts a token only if the signature
matches, it has not expired and it names a report file; then it redirects to a presigned URL of minutes.
The key and the download URL are read on first use and cached for the life of the process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlencode

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from functions.settings import get_settings

LINK_LIFETIME = timedelta(days=7)
DOWNLOAD_PATH = "/reports/download"
# Reports are stored under this prefix (functions.automations.report_storage); a link names nothing else.
KEY_PREFIX = "reports/"


class LinkError(Exception):
    """A link that does not lead to a report."""


class InvalidLinkError(LinkError):
    """Malformed, forged, or naming something that is not a report."""


class ExpiredLinkError(LinkError):
    def __init__(self, expired_at: datetime) -> None:
        super().__init__(f"this report link expired at {expired_at:%Y-%m-%d %H:%M} UTC")
        self.expired_at = expired_at


class LinkSetupError(Exception):
    """The signing key or the download URL could not be read: nobody can fix that by retrying the link."""


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class LinkSigner:
    secret: bytes

    def _signature(self, payload: str) -> str:
        return _encode(hmac.new(self.secret, payload.encode(), hashlib.sha256).digest())

    def sign(self, key: str, expires_at: datetime) -> str:
        if not key.startswith(KEY_PREFIX):
            raise ValueError(f"{key} is not a stored report")
        payload = _encode(json.dumps({"k": key, "exp": int(expires_at.timestamp())}).encode())
        return f"{payload}.{self._signature(payload)}"

    def verify(self, token: str, now: datetime) -> str:
        """The object key the token names; InvalidLinkError or ExpiredLinkError if it must not be served."""
        payload, _, signature = token.partition(".")
        # As bytes: compare_digest refuses str with non-ASCII characters, which a query string may carry.
        if not payload or not hmac.compare_digest(signature.encode(), self._signature(payload).encode()):
            raise InvalidLinkError("this report link is not valid")
        try:
            claims: Any = json.loads(_decode(payload))
            key, expires = claims["k"], claims["exp"]
        except (ValueError, binascii.Error, TypeError, KeyError) as error:
            raise InvalidLinkError("this report link is not valid") from error
        if not isinstance(key, str) or not key.startswith(KEY_PREFIX) or not isinstance(expires, int):
            raise InvalidLinkError("this report link is not valid")
        expired_at = datetime.fromtimestamp(expires, UTC)
        if now >= expired_at:
            raise ExpiredLinkError(expired_at)
        return key


@cache
def signer() -> LinkSigner:
    name = get_settings().report_link_secret
    try:
        secret = boto3.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
    except (ClientError, BotoCoreError, KeyError) as error:
        raise LinkSetupError(f"the report link key {name} could not be read: {error}") from error
    return LinkSigner(str(secret).encode())


@cache
def download_url() -> str:
    name = get_settings().report_download_url_parameter
    try:
        value = boto3.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    except (ClientError, BotoCoreError, KeyError) as error:
        raise LinkSetupError(f"the report download URL {name} could not be read: {error}") from error
    return str(value)


def link_to(key: str, expires_at: datetime) -> str:
    """A link to the stored object `key` that works until `expires_at`."""
    token = signer().sign(key, expires_at)
    return f"{download_url()}?{urlencode({'token': token})}"
