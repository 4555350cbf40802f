"""Where the API and the user pool are: flags first, then AUTOMATION_* variables, then the config file.

The config file is INI with one section per profile (like the AWS CLI's), in the user's XDG config
directory; `automation configure` writes it.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from automation_cli.exits import CliError, ExitCode

APP_DIR_NAME = "devsphere-automation"
DEFAULT_PROFILE = "default"
ENV_PREFIX = "AUTOMATION_"
PRIVATE_DIR_MODE = 0o700


def config_dir(environ: Mapping[str, str] = os.environ) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / APP_DIR_NAME


def config_file(environ: Mapping[str, str] = os.environ) -> Path:
    return config_dir(environ) / "config.ini"


def ensure_private_dir(path: Path) -> Path:
    """The directory holds tokens: only its owner may list or enter it, whatever the umask."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    path.chmod(PRIVATE_DIR_MODE)
    return path


@dataclass(frozen=True)
class Settings:
    api_url: str | None = None
    user_pool_id: str | None = None
    client_id: str | None = None
    region: str | None = None
    # Only for an emulated Cognito (`make dev`); AWS needs none.
    cognito_endpoint: str | None = None

    @property
    def pool_region(self) -> str | None:
        """A pool id starts with its region (`eu-west-2_AbC`), so the region rarely needs saying."""
        if self.region:
            return self.region
        if self.user_pool_id and "_" in self.user_pool_id:
            return self.user_pool_id.split("_", 1)[0]
        return None

    def over(self, fallback: Settings) -> Settings:
        """These values where set, `fallback`'s elsewhere."""
        return replace(
            fallback, **{item.name: value for item in fields(self) if (value := getattr(self, item.name))}
        )

    def require(self, *names: str) -> None:
        missing = [name for name in names if not getattr(self, name)]
        if missing:
            flags = ", ".join("--" + name.replace("_", "-") for name in missing)
            variables = ", ".join(ENV_PREFIX + name.upper() for name in missing)
            raise CliError(
                f"missing setting: {flags}",
                ExitCode.USAGE,
                hint=f"pass {flags}, set {variables}, or save them with `automation configure`",
            )


SETTING_NAMES = tuple(item.name for item in fields(Settings))


def from_environment(environ: Mapping[str, str] = os.environ) -> Settings:
    return Settings(**{name: environ.get(ENV_PREFIX + name.upper()) or None for name in SETTING_NAMES})


def _read(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as error:
        raise CliError(f"cannot read {path}: {error}", ExitCode.USAGE) from None
    return parser


def from_file(profile: str, path: Path) -> Settings:
    parser = _read(path)
    if not parser.has_section(profile):
        return Settings()
    section = parser[profile]
    return Settings(**{name: section.get(name) or None for name in SETTING_NAMES})


def save(profile: str, settings: Settings, path: Path) -> None:
    parser = _read(path)
    if not parser.has_section(profile):
        parser.add_section(profile)
    for name in SETTING_NAMES:
        value = getattr(settings, name)
        if value:
            parser[profile][name] = value
    ensure_private_dir(path.parent)
    with path.open("w", encoding="utf-8") as handle:
        parser.write(handle)


def resolve(
    flags: Settings, profile: str | None, environ: Mapping[str, str] = os.environ
) -> tuple[str, Settings]:
    """The profile in use and its settings, each value from the first place that sets it."""
    chosen = profile or environ.get(ENV_PREFIX + "PROFILE") or DEFAULT_PROFILE
    return chosen, flags.over(from_environment(environ).over(from_file(chosen, config_file(environ))))
