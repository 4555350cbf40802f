"""Reading the caller from Cognito claims, in every form API Gateway passes the groups."""

from __future__ import annotations

import pytest

from functions.api.auth import (
    ForbiddenError,
    UnauthenticatedError,
    caller_from_claims,
    claims_of,
    parse_groups,
)
from tests.unit.api.api_events import claims


@pytest.mark.parametrize(
    ("raw", "groups"),
    [
        ("admin", ("admin",)),
        ("admin,ceo", ("admin", "ceo")),
        ("admin, ceo", ("admin", "ceo")),
        ("[admin ceo]", ("admin", "ceo")),
        ("[admin]", ("admin",)),
        ('["admin","ceo"]', ("admin", "ceo")),
        ('["ceo"]', ("ceo",)),
        (["admin", "ceo"], ("admin", "ceo")),
        ("admin,admin", ("admin",)),
        ("", ()),
        ("[]", ()),
        (",", ()),
        (None, ()),
        (42, ()),
        ("[not json", ("not", "json")),
    ],
)
def test_given_a_groups_claim_when_parsed_then_each_group_name_is_found(raw, groups):
    assert parse_groups(raw) == groups


def test_given_full_claims_when_reading_the_caller_then_sub_username_email_and_groups_are_taken():
    caller = caller_from_claims(
        claims("admin,ceo", sub="s-1", username="dana", email="dana@devsphere.example")
    )

    assert (caller.sub, caller.username, caller.email, caller.groups) == (
        "s-1",
        "dana",
        "dana@devsphere.example",
        ("admin", "ceo"),
    )


@pytest.mark.parametrize("raw", [None, {}, {"cognito:groups": "admin"}, {"sub": ""}, {"sub": 7}])
def test_given_claims_without_a_subject_when_reading_the_caller_then_unauthenticated(raw):
    with pytest.raises(UnauthenticatedError):
        caller_from_claims(raw)


@pytest.mark.parametrize(
    "request_context",
    [{}, {"authorizer": None}, {"authorizer": {}}, {"authorizer": {"claims": {}}}, {"authorizer": "x"}, "x"],
)
def test_given_a_request_context_without_claims_when_reading_claims_then_there_are_none(request_context):
    assert claims_of({"requestContext": request_context}) is None


def test_given_claims_with_the_admin_group_elsewhere_in_the_token_when_authorizing_then_only_groups_count():
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

    from functions.api.auth import authorize
    from tests.unit.api.api_events import api_event

    event = api_event(
        "GET", "/jobs", caller={**claims("sales"), "custom:role": "admin", "cognito:username": "admin"}
    )

    with pytest.raises(ForbiddenError):
        authorize(APIGatewayProxyEvent(event))
