"""Signing in to the Cognito user pool: SRP (the password never leaves this machine), a temporary
password's replacement, TOTP MFA; refreshing and revoking the tokens.

Only Cognito's public sign-in operations are used, unsigned: no AWS credentials are needed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from automation_cli.config import Settings
from automation_cli.exits import CliError, ExitCode
from automation_cli.session import Tokens

# A wrong password and an unknown user: Cognito's own message says which it admits to.
_WRONG_LOGIN = {"NotAuthorizedException", "UserNotFoundException"}
_PUBLIC_INPUT = {"InvalidPasswordException", "InvalidParameterException", "PasswordResetRequiredException"}


def _client(settings: Settings) -> Any:
    # Imported here: boto3 takes a noticeable part of a second to load, and most commands never need it.
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    settings.require("user_pool_id", "client_id")
    return boto3.client(
        "cognito-idp",
        region_name=settings.pool_region,
        endpoint_url=settings.cognito_endpoint,
        config=Config(
            signature_version=UNSIGNED, connect_timeout=5, read_timeout=30, retries={"max_attempts": 2}
        ),
    )


def _calling(settings: Settings, call: Callable[[], Any]) -> Any:
    """Runs one Cognito call; its failures become errors a person can act on."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    where = settings.cognito_endpoint or f"Cognito in {settings.pool_region}"
    try:
        return call()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        if code in _WRONG_LOGIN:
            raise CliError(f"sign-in refused: {message}", ExitCode.NOT_SIGNED_IN) from None
        if code in ("CodeMismatchException", "ExpiredCodeException"):
            raise CliError(f"the MFA code was not accepted: {message}", ExitCode.NOT_SIGNED_IN) from None
        if code in _PUBLIC_INPUT:
            raise CliError(message, ExitCode.USAGE) from None
        if code == "ResourceNotFoundException":
            raise CliError(
                f"Cognito does not know this pool or client: {message}",
                ExitCode.USAGE,
                hint="check --user-pool-id and --client-id (`automation configure`)",
            ) from None
        raise CliError(f"Cognito refused the request ({code}): {message}", ExitCode.ERROR) from None
    except EndpointConnectionError:
        raise CliError(
            f"cannot reach {where}",
            ExitCode.UNREACHABLE,
            hint="check --cognito-endpoint / --region and your network",
        ) from None
    except BotoCoreError as error:
        raise CliError(f"cannot talk to {where}: {error}", ExitCode.UNREACHABLE) from None


def _tokens(settings: Settings, username: str, result: dict[str, Any], refresh_token: str = "") -> Tokens:
    assert settings.user_pool_id and settings.client_id
    return Tokens(
        username=username,
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        refresh_token=result.get("RefreshToken") or refresh_token,
        user_pool_id=settings.user_pool_id,
        client_id=settings.client_id,
    )


def sign_in(
    settings: Settings,
    username: str,
    password: str,
    new_password: Callable[[], str],
    mfa_code: Callable[[], str],
) -> Tokens:
    """SRP sign-in, answering whatever challenges follow until Cognito hands out tokens."""
    from pycognito.aws_srp import AWSSRP

    client = _client(settings)
    srp = AWSSRP(
        username=username,
        password=password,
        pool_id=settings.user_pool_id,
        client_id=settings.client_id,
        client=client,
    )
    parameters = srp.get_auth_params()
    answer = _calling(
        settings,
        lambda: client.initiate_auth(
            AuthFlow="USER_SRP_AUTH", AuthParameters=parameters, ClientId=settings.client_id
        ),
    )
    internal_name = username
    while "AuthenticationResult" not in answer:
        challenge = answer.get("ChallengeName")
        challenge_parameters = answer.get("ChallengeParameters") or {}
        internal_name = challenge_parameters.get("USERNAME") or internal_name
        if challenge == "PASSWORD_VERIFIER":
            responses = srp.process_challenge(challenge_parameters, parameters)
        elif challenge == "NEW_PASSWORD_REQUIRED":
            responses = {"USERNAME": internal_name, "NEW_PASSWORD": new_password()}
        elif challenge == "SOFTWARE_TOKEN_MFA":
            responses = {"USERNAME": internal_name, "SOFTWARE_TOKEN_MFA_CODE": mfa_code()}
        elif challenge == "MFA_SETUP":
            raise CliError(
                "this account must set up an authenticator app before it can sign in",
                ExitCode.NOT_SIGNED_IN,
                hint="sign in to the portal once to set it up, then run `automation login` again",
            )
        else:
            raise CliError(f"Cognito asked for {challenge}, which `automation login` cannot answer")
        session = {"Session": answer["Session"]} if answer.get("Session") else {}
        answer = _calling(
            settings,
            functools.partial(
                client.respond_to_auth_challenge,
                ClientId=settings.client_id,
                ChallengeName=challenge,
                ChallengeResponses=responses,
                **session,
            ),
        )
    return _tokens(settings, username, answer["AuthenticationResult"])


def refresh(settings: Settings, tokens: Tokens) -> Tokens:
    client = _client(settings)
    answer = _calling(
        settings,
        lambda: client.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens.refresh_token},
            ClientId=settings.client_id,
        ),
    )
    return _tokens(settings, tokens.username, answer["AuthenticationResult"], tokens.refresh_token)


def revoke(settings: Settings, tokens: Tokens) -> None:
    """Ends the session at Cognito too: the refresh token stops working even if the file was copied."""
    client = _client(settings)
    _calling(settings, lambda: client.revoke_token(Token=tokens.refresh_token, ClientId=settings.client_id))
