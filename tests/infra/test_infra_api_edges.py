"""API Gateway's own answers carry the same error shape and security headers as the API function's."""

from __future__ import annotations

import json
import re

from functions.api.edges import PAGE_CSP, SECURITY_HEADERS


def _responses(synthesized) -> dict[str, dict]:
    return {
        body["Properties"]["ResponseType"]: body["Properties"]
        for body in synthesized.of_type("AWS::ApiGateway::GatewayResponse").values()
    }


def test_given_the_gateway_responses_when_synthesized_then_each_sends_the_security_headers(synthesized):
    responses = _responses(synthesized)

    assert {
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "REQUEST_TOO_LARGE",
        "THROTTLED",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
    } <= set(responses)
    for response_type, properties in responses.items():
        headers = properties["ResponseParameters"]
        for name, value in SECURITY_HEADERS.items():
            assert headers[f"gatewayresponse.header.{name}"] == f"'{value}'", (response_type, name)
    assert SECURITY_HEADERS["X-Content-Type-Options"] == "nosniff"
    assert SECURITY_HEADERS["Cache-Control"] == "no-store"
    assert SECURITY_HEADERS["Strict-Transport-Security"].startswith("max-age=")


def test_given_the_401_gateway_response_when_synthesized_then_it_asks_for_a_bearer_token_in_the_error_shape(
    synthesized,
):
    unauthorized = _responses(synthesized)["UNAUTHORIZED"]
    template = unauthorized["ResponseTemplates"]["application/json"]
    body = json.loads(re.sub(r'"?\$context\.[\w.]+"?', '"x"', template))

    assert unauthorized["StatusCode"] == "401"
    assert unauthorized["ResponseParameters"]["gatewayresponse.header.WWW-Authenticate"] == "'Bearer'"
    assert body["error"] == {
        "code": "UNAUTHENTICATED",
        "message": "Sign in to use this API.",
        "request_id": "x",
    }
    assert _responses(synthesized)["REQUEST_TOO_LARGE"]["StatusCode"] == "413"


def test_given_the_portal_when_served_by_cloudfront_then_it_sends_the_local_gateways_page_headers(
    synthesized,
):
    # The same CSP header as `make dev`, frame-ancestors included, on every portal response.
    (policy,) = synthesized.of_type("AWS::CloudFront::ResponseHeadersPolicy").values()
    security = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    (distribution,) = synthesized.of_type("AWS::CloudFront::Distribution").values()
    behavior = distribution["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]

    assert security["ContentSecurityPolicy"]["ContentSecurityPolicy"] == PAGE_CSP
    assert "frame-ancestors 'none'" in PAGE_CSP
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert security["ContentTypeOptions"]["Override"] is True
    assert "Ref" in behavior["ResponseHeadersPolicyId"]
