"""The local Cognito emulation checks SRP sign-ins as Cognito does, with an independent client (pycognito)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from pycognito.aws_srp import AWSSRP
from pycognito.exceptions import ForceChangePasswordException

from local.__main__ import parse_args
from local.cognito import emulate_cognito

PASSWORD = "Correct-horse-42!"

# pycognito (the independent SRP client compared with) still calls datetime.utcnow().
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycognito.*")


@dataclass
class Pool:
    client: Any
    pool_id: str
    client_id: str
    messages: list[str]

    def srp(self, username: str, password: str) -> AWSSRP:
        return AWSSRP(
            username=username,
            password=password,
            pool_id=self.pool_id,
            client_id=self.client_id,
            client=self.client,
        )


@pytest.fixture
def pool() -> Iterator[Pool]:
    messages: list[str] = []
    undo = emulate_cognito(messages.append, "http://127.0.0.1:8000/")
    try:
        with mock_aws():
            client = boto3.client("cognito-idp", region_name="eu-west-2")
            pool_id = client.create_user_pool(PoolName="users")["UserPool"]["Id"]
            client_id = client.create_user_pool_client(
                UserPoolId=pool_id, ClientName="portal", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"]
            )["UserPoolClient"]["ClientId"]
            client.admin_create_user(UserPoolId=pool_id, Username="alice", MessageAction="SUPPRESS")
            client.admin_set_user_password(
                UserPoolId=pool_id, Username="alice", Password=PASSWORD, Permanent=True
            )
            yield Pool(client, pool_id, client_id, messages)
    finally:
        undo()


def test_given_the_right_password_when_signing_in_by_srp_then_tokens_are_issued(pool: Pool) -> None:
    tokens = pool.srp("alice", PASSWORD).authenticate_user()

    assert tokens["AuthenticationResult"]["IdToken"].count(".") == 2


def test_given_a_wrong_password_when_signing_in_by_srp_then_it_is_refused(pool: Pool) -> None:
    with pytest.raises(ClientError) as refused:
        pool.srp("alice", PASSWORD + "x").authenticate_user()

    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_given_a_claim_when_it_is_replayed_then_the_second_is_refused(pool: Pool) -> None:
    srp = pool.srp("alice", PASSWORD)
    challenge = pool.client.initiate_auth(
        ClientId=pool.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=srp.get_auth_params()
    )
    responses = srp.process_challenge(challenge["ChallengeParameters"], srp.get_auth_params())
    pool.client.respond_to_auth_challenge(
        ClientId=pool.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )

    with pytest.raises(ClientError) as refused:
        pool.client.respond_to_auth_challenge(
            ClientId=pool.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
        )
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_given_an_invited_user_when_created_without_a_password_then_the_invitation_carries_a_working_one(
    pool: Pool,
) -> None:
    pool.client.admin_create_user(
        UserPoolId=pool.pool_id,
        Username="bob",
        UserAttributes=[{"Name": "email", "Value": "bob@devsphere.example"}],
    )

    (invitation,) = pool.messages
    assert "bob@devsphere.example" in invitation and "http://127.0.0.1:8000/" in invitation
    temporary = invitation.split("temporary password ")[1].split()[0]
    # pycognito raises this for NEW_PASSWORD_REQUIRED: the password was right, and a new one is due.
    with pytest.raises(ForceChangePasswordException):
        pool.srp("bob", temporary).authenticate_user()


def test_given_a_forgotten_password_when_a_reset_is_asked_then_the_code_is_printed_and_only_it_works(
    pool: Pool,
) -> None:
    pool.client.forgot_password(ClientId=pool.client_id, Username="alice")

    (message,) = pool.messages
    code = message.rsplit(": ", 1)[1]
    with pytest.raises(ClientError):
        pool.client.confirm_forgot_password(
            ClientId=pool.client_id,
            Username="alice",
            ConfirmationCode=code[:-1] + "x",
            Password="New-pass-1234!",
        )
    pool.client.confirm_forgot_password(
        ClientId=pool.client_id, Username="alice", ConfirmationCode=code, Password="New-pass-1234!"
    )
    assert pool.srp("alice", "New-pass-1234!").authenticate_user()["AuthenticationResult"]["AccessToken"]


def test_given_the_require_mfa_flag_when_parsed_then_the_runtime_requires_authenticator_codes() -> None:
    assert parse_args(["--require-mfa"]).require_mfa is True
    assert parse_args([]).require_mfa is False
