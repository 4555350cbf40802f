"""Stage settings from context, and the code asset built without Docker."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from aws_cdk import App, RemovalPolicy

from infra import bundle as bundle_module
from infra.bundle import bundle
from infra.config import ConfigError, StageConfig


def _config(**context: str) -> StageConfig:
    return StageConfig.from_context(App(context=context).node)


def test_given_no_context_when_configured_then_the_dev_stage_uses_the_functions_default_names():
    config = _config()

    assert config.stage == "dev"
    assert config.prefix == "devsphere-automation"
    assert config.settings.function_name("sequences") == "devsphere-automation-sequences"
    assert config.removal_policy == RemovalPolicy.DESTROY
    assert config.alert_emails == ()


def test_given_no_context_when_configured_then_a_plain_deploy_bundles_the_dependencies():
    assert _config().bundle_dependencies is True
    assert _config(bundleDependencies="false").bundle_dependencies is False


def test_given_the_prod_stage_when_configured_then_names_carry_it_and_data_is_retained():
    config = _config(
        stage="prod",
        alertEmail="ops@example.com",
        senderEmail="automation@devsphere.example",
        retentionDays="30",
    )

    assert config.settings.schedule_name("follow-ups") == "devsphere-automation-prod-follow-ups"
    assert config.settings.schedule_group == "devsphere-automation-prod"
    assert config.removal_policy == RemovalPolicy.RETAIN
    assert config.retention_days == 30


def test_given_several_alert_addresses_when_configured_then_each_is_kept():
    config = _config(alertEmail="ops@example.com, oncall@example.com")

    assert config.alert_emails == ("ops@example.com", "oncall@example.com")


@pytest.mark.parametrize(
    "context",
    [
        {"stage": "Prod_1"},
        {"alertEmail": "ops"},
        {"alertEmail": "ops@example.com,nobody"},
        {"retentionDays": "0"},
        # Production without anyone to page: every alarm would go nowhere.
        {"stage": "prod"},
    ],
)
def test_given_bad_context_when_configured_then_it_is_refused(context):
    with pytest.raises(ConfigError):
        _config(**context)


@pytest.mark.parametrize(
    ("retention_days", "log_days"),
    [(1, 1), (2, 3), (90, 90), (91, 120), (366, 400), (3653, 3653), (4000, None)],
)
def test_given_a_run_retention_when_configured_then_logs_are_kept_at_least_as_long(retention_days, log_days):
    config = _config(retentionDays=str(retention_days))

    assert config.log_retention_days == log_days


def test_given_the_functions_package_when_bundled_then_the_asset_is_its_code_without_caches(tmp_path: Path):
    out = bundle(tmp_path / "lambda", python_version="3.13", with_dependencies=False)

    files = {path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file()}
    assert "functions/monitors/watchdog.py" in files
    assert not [name for name in files if "__pycache__" in name or name.endswith(".pyc")]
    assert {path.name for path in out.iterdir()} == {"functions"}


def test_given_dependencies_wanted_when_bundled_then_the_lock_is_installed_once_for_lambdas_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    commands: list[list[str]] = []

    def fake_pip(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        target = Path(command[command.index("--target") + 1])
        (target / "pynamodb").mkdir(parents=True)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(bundle_module.subprocess, "run", fake_pip)

    bundle(tmp_path / "lambda", python_version="3.13", with_dependencies=True)
    out = bundle(tmp_path / "lambda", python_version="3.13", with_dependencies=True)

    assert len(commands) == 1, "the second bundle should reuse the installed dependencies"
    (command,) = commands
    assert command[command.index("--python-version") + 1] == "3.13"
    assert "manylinux2014_aarch64" in command and "--only-binary=:all:" in command
    assert "--require-hashes" in command
    assert command[command.index("-r") + 1] == str(bundle_module.LOCK_FILE)
    assert {path.name for path in out.iterdir()} == {"functions", "pynamodb"}


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_given_a_lock_when_read_then_every_package_is_pinned_with_hashes_and_no_address(lock):
    text = (bundle_module.REPO_ROOT / lock).read_text()
    # One requirement per entry: its pin line, then its hash lines (continued with backslashes).
    entries = [entry for entry in text.replace("\\\n", " ").splitlines() if entry and entry[0].isalnum()]

    assert entries
    for entry in entries:
        pin = entry.split()[0]
        assert "==" in pin, entry
        assert "--hash=sha256:" in entry, f"{pin} has no hash"
    assert "://" not in text
    assert "--index-url" not in text and "--find-links" not in text
