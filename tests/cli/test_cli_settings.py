"""The CLI's own rules, without a runtime: where settings come from, how the session is kept, TOTP codes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from automation_cli.app import cli
from automation_cli.config import Settings, config_file, resolve, save
from automation_cli.exits import EXIT_CODE_HELP, CliError, ExitCode
from automation_cli.session import TokenCache, Tokens
from automation_cli.totp import totp


def _environment(home: Path, **values: str) -> dict[str, str]:
    return {
        "XDG_CONFIG_HOME": str(home),
        **{f"AUTOMATION_{name.upper()}": value for name, value in values.items()},
    }


def test_given_a_value_in_flags_environment_and_file_then_the_flag_wins_then_the_environment(
    tmp_path: Path,
) -> None:
    environ = _environment(tmp_path, api_url="https://env.example/api", client_id="env-client")
    save(
        "default",
        Settings(api_url="https://file.example/api", client_id="file-client", user_pool_id="eu-west-2_File"),
        config_file(environ),
    )

    profile, settings = resolve(Settings(api_url="https://flag.example/api"), None, environ)

    assert profile == "default"
    assert settings.api_url == "https://flag.example/api"
    assert settings.client_id == "env-client"
    assert settings.user_pool_id == "eu-west-2_File"
    assert settings.pool_region == "eu-west-2"


def test_given_a_profile_from_the_environment_then_its_section_of_the_file_is_read(tmp_path: Path) -> None:
    environ = {**_environment(tmp_path), "AUTOMATION_PROFILE": "prod"}
    save("prod", Settings(api_url="https://prod.example/api", region="us-east-1"), config_file(environ))

    profile, settings = resolve(Settings(), None, environ)

    assert (profile, settings.api_url, settings.pool_region) == (
        "prod",
        "https://prod.example/api",
        "us-east-1",
    )


def test_given_missing_settings_then_the_error_names_the_flags_and_variables_with_exit_2() -> None:
    with pytest.raises(CliError) as raised:
        Settings(api_url="https://x.example").require("api_url", "client_id")

    assert raised.value.code is ExitCode.USAGE
    assert raised.value.message == "missing setting: --client-id"
    assert raised.value.hint is not None and "AUTOMATION_CLIENT_ID" in raised.value.hint


def test_given_a_loose_umask_when_saving_a_session_then_only_the_owner_can_read_it(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "config" / "tokens.json")
    tokens = Tokens("admin", "id", "access", "refresh", "eu-west-2_Pool", "client")
    (tmp_path / "config").mkdir(mode=0o777)
    (tmp_path / "config").chmod(0o777)

    cache.store("default", tokens)
    cache.store("other", tokens)
    cache.store("other", None)

    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.path.parent.stat().st_mode) == 0o700
    assert cache.load("default") == tokens
    assert cache.load("other") is None


@pytest.mark.parametrize(
    ("at", "code"),
    # RFC 6238 appendix B (SHA-1), the last six digits of each eight-digit code.
    [
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
    ],
)
def test_given_the_rfc_6238_test_secret_then_the_codes_match_the_rfc(at: int, code: str) -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"

    assert totp(secret, at) == code


def test_given_the_help_then_every_exit_code_is_documented() -> None:
    result = CliRunner().invoke(cli, ["--help"], prog_name="automation")

    assert result.exit_code == 0
    for code, meaning in EXIT_CODE_HELP.items():
        assert f"{int(code):>3}  {meaning}" in result.output
    assert set(EXIT_CODE_HELP) == set(ExitCode)
