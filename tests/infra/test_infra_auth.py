"""The user pool and the portal's app client as deployed: how a person signs in, pinned on the template.

moto accepts every auth flow whatever the client allows, so what the deployed client refuses is only
checked here.
"""

from __future__ import annotations

import json
from typing import Any


def _pool(synthesized) -> dict[str, Any]:
    ((_, pool),) = synthesized.of_type("AWS::Cognito::UserPool").items()
    properties: dict[str, Any] = pool["Properties"]
    return properties


def _client(synthesized) -> dict[str, Any]:
    ((_, client),) = synthesized.of_type("AWS::Cognito::UserPoolClient").items()
    properties: dict[str, Any] = client["Properties"]
    return properties


def test_given_the_portal_client_when_synthesized_then_only_srp_and_refresh_are_allowed(synthesized):
    client = _client(synthesized)

    assert sorted(client["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
    assert "GenerateSecret" not in client or client["GenerateSecret"] is False
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["EnableTokenRevocation"] is True


def test_given_the_user_pool_when_synthesized_then_totp_is_required_and_sms_is_not_offered(synthesized):
    pool = _pool(synthesized)

    assert pool["MfaConfiguration"] == "ON"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert "SmsConfiguration" not in pool


def test_given_the_user_pool_when_synthesized_then_a_forgotten_password_is_recovered_by_email_only(
    synthesized,
):
    pool = _pool(synthesized)

    mechanisms = pool["AccountRecoverySetting"]["RecoveryMechanisms"]
    assert mechanisms == [{"Name": "verified_email", "Priority": 1}]
    assert pool["AutoVerifiedAttributes"] == ["email"]


def test_given_the_user_pool_when_synthesized_then_threat_protection_blocks_risky_sign_ins(synthesized):
    pool = _pool(synthesized)

    assert pool["UserPoolTier"] == "PLUS"
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}


def test_given_an_invited_user_when_the_invitation_is_sent_then_it_names_the_portal_and_the_next_steps(
    synthesized,
):
    pool = _pool(synthesized)

    invitation = pool["AdminCreateUserConfig"]["InviteMessageTemplate"]
    body = json.dumps(invitation["EmailMessage"])
    assert "{username}" in body and "{####}" in body
    assert "authenticator app" in body
    # The portal's address is resolved at deploy time (CloudFront), so the template refers to it.
    assert "Fn::" in body or "https://" in body
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["Policies"]["PasswordPolicy"]["TemporaryPasswordValidityDays"] == 3
