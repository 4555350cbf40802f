"""`automation login`, the saved session and its refresh, `logout`, and the errors a person meets first."""

from __future__ import annotations

import base64
import json
import stat
from typing import Any

import pytest

from automation_cli.totp import totp
from tests.cli.conftest import Automation
from tests.support.local_runtime import LocalRuntime, free_port

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Fresh-Password-42!"


def _saved(automation: Automation, profile: str = "default") -> dict[str, Any]:
    tokens: dict[str, Any] = json.loads(automation.token_file.read_text())[profile]
    return tokens


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def _with_claims(token: str, **changes: Any) -> str:
    """The same token with some claims changed: its signature no longer matches, as a tampered one's."""
    header, _, signature = token.split(".")
    payload = base64.urlsafe_b64encode(json.dumps({**_claims(token), **changes}).encode()).rstrip(b"=")
    return f"{header}.{payload.decode()}.{signature}"


def _save(automation: Automation, **changes: str) -> None:
    everything = json.loads(automation.token_file.read_text())
    everything["default"].update(changes)
    automation.token_file.write_text(json.dumps(everything))


def _pool_user(runtime: LocalRuntime, username: str, group: str, **password: Any) -> Any:
    cognito = runtime.aws("cognito-idp")
    pool = runtime.settings["AUTOMATION_USER_POOL_ID"]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=username,
        UserAttributes=[{"Name": "email", "Value": f"{username}@devsphere.example"}],
        MessageAction="SUPPRESS",
        **password,
    )
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=group)
    return cognito


def test_given_the_printed_settings_when_an_admin_logs_in_then_the_session_is_saved_owner_only(
    automation: Automation,
) -> None:
    result = automation.login("admin")

    assert "Signed in as admin (groups: admin)" in result.stderr
    token_file = automation.token_file
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
    saved = _saved(automation)
    assert _claims(saved["id_token"])["cognito:username"] == "admin"
    assert saved["refresh_token"]
    assert automation("whoami").stdout.startswith("admin (groups: admin)")


def test_given_a_user_with_a_temporary_password_when_logging_in_then_it_chooses_a_new_one_and_is_signed_in(
    runtime: LocalRuntime, automation: Automation
) -> None:
    _pool_user(runtime, "tempadmin", "admin", TemporaryPassword="Temporary-Pass-1!")

    first = automation(
        "login",
        "--username",
        "tempadmin",
        "--profile",
        "temp",
        stdin=f"Temporary-Pass-1!\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )
    status = automation("status", "--profile", "temp", "--json")
    again = automation(
        "login", "--username", "tempadmin", "--profile", "temp", "--password-stdin", stdin=NEW_PASSWORD + "\n"
    )

    assert first.code == 0, first.output
    assert "temporary password: choose a new one" in first.stderr
    assert status.code == 0, status.output
    assert len(json.loads(status.stdout)["jobs"]) == 4
    assert again.code == 0 and "choose a new one" not in again.stderr


def test_given_a_user_with_totp_mfa_when_logging_in_then_it_asks_for_the_code_and_is_signed_in(
    runtime: LocalRuntime, automation: Automation
) -> None:
    cognito = _pool_user(runtime, "mfaceo", "ceo", TemporaryPassword="Temporary-Pass-2!")
    pool, client = runtime.settings["AUTOMATION_USER_POOL_ID"], runtime.settings["AUTOMATION_CLIENT_ID"]
    cognito.admin_set_user_password(UserPoolId=pool, Username="mfaceo", Password=NEW_PASSWORD, Permanent=True)
    access = cognito.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "mfaceo", "PASSWORD": NEW_PASSWORD},
    )["AuthenticationResult"]["AccessToken"]
    secret = cognito.associate_software_token(AccessToken=access)["SecretCode"]
    cognito.verify_software_token(AccessToken=access, UserCode=totp(secret))
    cognito.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )

    result = automation(
        "login", "--username", "mfaceo", "--profile", "mfa", stdin=f"{NEW_PASSWORD}\n{totp(secret)}\n"
    )

    assert result.code == 0, result.output
    assert "Code from your authenticator app" in result.stderr
    assert "Signed in as mfaceo (groups: ceo)" in result.stderr
    assert automation("status", "--profile", "mfa", "--json").code == 0


def test_given_an_expired_id_token_when_reading_status_then_the_refresh_token_renews_it(
    automation: Automation,
) -> None:
    automation.login("admin")
    before = _saved(automation)
    _save(automation, id_token=_with_claims(before["id_token"], exp=1_000_000_000))

    result = automation("status", "--json")

    assert result.code == 0, result.output
    renewed = _saved(automation)
    assert renewed["id_token"] != before["id_token"]
    assert _claims(renewed["id_token"])["exp"] > _claims(before["id_token"])["exp"] - 3600
    assert renewed["refresh_token"] == before["refresh_token"]


def test_given_a_token_the_api_refuses_when_reading_status_then_it_renews_once_and_goes_on(
    automation: Automation,
) -> None:
    automation.login("admin")
    rejected = _with_claims(_saved(automation)["id_token"], email="someone-else@devsphere.example")
    _save(automation, id_token=rejected)

    result = automation("status", "--json")

    assert result.code == 0, result.output
    assert _saved(automation)["id_token"] != rejected


def test_given_a_refresh_token_that_no_longer_works_then_it_says_to_log_in_with_exit_3(
    automation: Automation,
) -> None:
    automation.login("admin")
    expired = _with_claims(_saved(automation)["id_token"], exp=1_000_000_000)
    _save(automation, id_token=expired, refresh_token="no-longer-valid")

    result = automation("status")

    assert result.code == 3
    assert "session has ended" in result.stderr and "automation login" in result.stderr


def test_given_no_session_then_every_command_says_to_log_in_with_exit_3(automation: Automation) -> None:
    result = automation("status", "--profile", "never-signed-in")

    assert result.code == 3
    assert "not signed in" in result.stderr
    assert "automation login --profile never-signed-in" in result.stderr


def test_given_the_api_is_down_then_the_message_names_it_and_exits_7(automation: Automation) -> None:
    automation.login("admin")
    nowhere = f"http://127.0.0.1:{free_port()}/api"

    result = automation("status", "--api-url", nowhere)

    assert result.code == 7
    assert f"cannot reach the API at {nowhere}" in result.stderr
    assert "--api-url" in result.stderr


def test_given_an_api_url_that_is_not_the_api_then_it_says_to_check_it_with_exit_1(
    automation: Automation, runtime: LocalRuntime
) -> None:
    automation.login("admin")

    result = automation("status", "--api-url", runtime.origin)

    assert result.code == 1
    assert f"the answer from {runtime.origin} (HTTP 404) is not the automation API's" in result.stderr
    assert "URL with /api" in result.stderr


def test_given_cognito_is_down_when_logging_in_then_exit_7(automation: Automation) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"

    result = automation(
        "login", "--username", "admin", "--password-stdin", "--cognito-endpoint", nowhere, stdin="x\n"
    )

    assert result.code == 7
    assert f"cannot reach {nowhere}" in result.stderr


def test_given_settings_saved_with_configure_then_commands_work_without_the_variables(
    automation: Automation, runtime: LocalRuntime
) -> None:
    saved = automation("configure", "--profile", "local")
    automation.login("admin", profile="local")

    status = automation("status", "--profile", "local", "--json", configured=False)
    missing = automation("status", "--profile", "elsewhere", configured=False)

    assert saved.code == 0, saved.output
    assert status.code == 0, status.output
    assert missing.code == 2 and "missing setting: --api-url" in missing.stderr
    config = (automation.home / ".config" / "devsphere-automation" / "config.ini").read_text()
    assert f"api_url = {runtime.settings['AUTOMATION_API_URL']}" in config


def test_given_a_session_when_logging_out_then_it_is_forgotten(automation: Automation) -> None:
    automation.login("admin")

    result = automation("logout")

    assert result.code == 0, result.output
    assert "default" not in json.loads(automation.token_file.read_text())
    assert automation("status").code == 3
    assert automation("logout").stderr.strip() == "Not signed in."
