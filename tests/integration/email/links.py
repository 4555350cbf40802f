"""Report-link fixtures shared by the job and email tests: the signing key and download URL in moto."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import boto3

from functions.automations import report_links
from functions.settings import get_settings

DOWNLOAD_URL = "https://api.devsphere.example/prod/reports/download"
SIGNING_KEY = "test-signing-key-0123456789abcdef"
_LINK = re.compile(r"https://\S+\?token=[A-Za-z0-9_.\-]+")


def provision_report_links() -> None:
    """What the stack creates: the key in Secrets Manager, the download URL in SSM."""
    settings = get_settings()
    boto3.client("secretsmanager").create_secret(Name=settings.report_link_secret, SecretString=SIGNING_KEY)
    boto3.client("ssm").put_parameter(
        Name=settings.report_download_url_parameter, Value=DOWNLOAD_URL, Type="String"
    )
    # Both are cached for the life of a Lambda process; each test is a fresh account.
    report_links.signer.cache_clear()
    report_links.download_url.cache_clear()


def links_in(text: str) -> list[str]:
    return _LINK.findall(text)


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def linked_keys(text: str, now: datetime) -> list[str]:
    """The stored report each download link in `text` leads to, checked as the download function does."""
    links = links_in(text)
    assert links and all(link.startswith(DOWNLOAD_URL + "?") for link in links), text
    return [report_links.signer().verify(token_of(link), now) for link in links]
