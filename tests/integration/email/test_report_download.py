"""The emailed report link: a redirect to the report for its 7 days, a clear JSON error otherwise."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from functions.api import report_download
from functions.api.report_download import REDIRECT_LIFETIME, download, handler
from functions.automations import report_links
from functions.automations.report_links import LINK_LIFETIME, link_to
from functions.clock import SYSTEM_CLOCK
from functions.settings import get_settings
from tests.integration.email.links import DOWNLOAD_URL, linked_keys, links_in, token_of
from tests.integration.jobs.job_harness import Platform, owner

KEY = "reports/r-1/2026-11-27/pipeline_summary.html"


@pytest.fixture
def stored(platform: Platform) -> Platform:
    report_download._s3.cache_clear()
    boto3.client("s3").put_object(Bucket=get_settings().reports_bucket, Key=KEY, Body=b"<html>report</html>")
    return platform


def request(token: str | None) -> dict[str, Any]:
    """API Gateway's proxy event for GET /reports/download, a method without an authorizer."""
    return {
        "resource": "/reports/download",
        "path": "/reports/download",
        "httpMethod": "GET",
        "headers": {"Accept": "text/html"},
        "queryStringParameters": None if token is None else {"token": token},
        "requestContext": {"resourcePath": "/reports/download", "httpMethod": "GET", "stage": "prod"},
        "body": None,
        "isBase64Encoded": False,
    }


def error_of(response: dict[str, Any]) -> dict[str, str]:
    assert response["headers"]["Content-Type"] == "application/json"
    body = json.loads(response["body"])
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert "Traceback" not in response["body"]
    return dict(body["error"])


def test_given_a_fresh_link_when_opened_then_it_redirects_to_a_presigned_url_of_minutes(stored: Platform):
    link = link_to(KEY, stored.clock.now() + LINK_LIFETIME)

    response = download(request(token_of(link)), stored.clock)

    assert response["statusCode"] == 302
    location = urlsplit(response["headers"]["Location"])
    assert location.path.endswith(f"/{KEY}")
    assert parse_qs(location.query)["X-Amz-Expires"] == [str(int(REDIRECT_LIFETIME.total_seconds()))]


def test_given_a_link_when_its_seven_days_pass_then_it_works_to_the_last_second_and_then_says_expired(
    stored: Platform,
):
    token = token_of(link_to(KEY, stored.clock.now() + LINK_LIFETIME))

    stored.clock.advance(LINK_LIFETIME - timedelta(seconds=1))
    assert download(request(token), stored.clock)["statusCode"] == 302
    stored.clock.advance(timedelta(seconds=1))
    response = download(request(token), stored.clock)

    assert response["statusCode"] == 410
    error = error_of(response)
    assert error["code"] == "LINK_EXPIRED" and "expired at" in error["message"]


@pytest.mark.parametrize("token", [None, "", "forged.token", "eyJrIjoicmVwb3J0cy94In0.AAAA"])
def test_given_a_missing_or_forged_token_when_opened_then_it_is_refused_without_detail(
    stored: Platform, token: str | None
):
    response = download(request(token), stored.clock)

    assert response["statusCode"] == 403
    assert error_of(response) == {"code": "INVALID_LINK", "message": "this report link is not valid"}


def test_given_a_valid_link_to_a_report_no_longer_stored_when_opened_then_it_says_so(stored: Platform):
    gone = "reports/r-1/2026-01-01/pipeline_summary.html"

    response = download(request(token_of(link_to(gone, stored.clock.now() + LINK_LIFETIME))), stored.clock)

    assert response["statusCode"] == 404 and error_of(response)["code"] == "REPORT_GONE"


def test_given_the_signing_key_cannot_be_read_when_a_link_is_opened_then_it_is_unavailable_not_a_trace(
    stored: Platform,
):
    token = token_of(link_to(KEY, stored.clock.now() + LINK_LIFETIME))
    boto3.client("secretsmanager").delete_secret(
        SecretId=get_settings().report_link_secret, ForceDeleteWithoutRecovery=True
    )
    report_links.signer.cache_clear()

    response = download(request(token), stored.clock)

    assert response["statusCode"] == 503 and error_of(response)["code"] == "DOWNLOAD_UNAVAILABLE"


def test_given_the_lambda_entry_point_when_a_link_is_opened_then_it_answers_as_api_gateway_expects(
    stored: Platform,
):
    fresh = token_of(link_to(KEY, SYSTEM_CLOCK.now() + LINK_LIFETIME))
    stale = token_of(link_to(KEY, SYSTEM_CLOCK.now() - timedelta(seconds=1)))
    context = stored.lambda_context(function_name="devsphere-automation-report-download")

    assert handler(request(fresh), context)["statusCode"] == 302
    assert handler(request(stale), context)["statusCode"] == 410


def test_given_the_report_job_when_it_emails_a_report_then_its_link_downloads_that_report_for_seven_days(
    stored: Platform,
):
    stored.load(
        {
            "users": [owner()],
            "reports": [
                {
                    "id": "r-1",
                    "name": "Pipeline",
                    "type": "pipeline_summary",
                    "frequency": "daily",
                    "recipients": ["ana@devsphere.example"],
                    "next_due_at": "now",
                }
            ],
        }
    )
    report_download._s3.cache_clear()
    sent_at = SYSTEM_CLOCK.now()

    assert stored.record(stored.run("scheduled-reports")).status == "SUCCEEDED"

    [email] = stored.sent_to("ana@devsphere.example")
    html_link = links_in(email.body)[0]
    assert html_link.startswith(DOWNLOAD_URL + "?token=")
    [html_key, _] = linked_keys(email.body, sent_at)
    stored.clock.set(sent_at + LINK_LIFETIME - timedelta(minutes=1))
    redirect = download(request(token_of(html_link)), stored.clock)
    assert redirect["statusCode"] == 302 and f"/{html_key}?" in redirect["headers"]["Location"]
    stored.clock.set(sent_at + LINK_LIFETIME + timedelta(minutes=1))
    assert download(request(token_of(html_link)), stored.clock)["statusCode"] == 410
