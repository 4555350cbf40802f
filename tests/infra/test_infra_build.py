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
    assert config.bundle_dependencies is False


def test_given_the_prod_stage_when_configured_then_names_carry_it_and_data_is_retained():
    config = _config(
        stage="prod",
        senderEmail="automation@devsphere.example",
        bundleDependencies="true",
        retentionDays="30",
    )

    assert config.settings.schedule_name("follow-ups") == "devsphere-automation-prod-follow-ups"
    assert config.settings.schedule_group == "devsphere-automation-prod"
    assert config.removal_policy == RemovalPolicy.RETAIN
    assert config.bundle_dependencies is True
    assert config.retention_days == 30


@pytest.mark.parametrize("context", [{"stage": "Prod_1"}, {"alertEmail": "ops"}, {"retentionDays": "0"}])
def test_given_bad_context_when_configured_then_it_is_refused(context):
    with pytest.raises(ConfigError):
        _config(**context)


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
    assert command[command.index("-r") + 1] == str(bundle_module.LOCK_FILE)
    assert {path.name for path in out.iterdir()} == {"functions", "pynamodb"}
