"""The `automation` command run as a user runs it: the installed console script, in a subprocess, against
`python -m local` over HTTP, configured with exactly the line the runtime prints.

Each test module gets its own runtime (started without --fire-now, so the first runs are the tests' own).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.local_runtime import LocalRuntime, start_local_runtime, user_environment

AUTOMATION = Path(sys.executable).with_name("automation")
COMMAND_SECONDS = 120


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with start_local_runtime() as started:
        yield started


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's home for the module: its config directory holds the saved settings and sessions."""
    return tmp_path_factory.mktemp("home")


def _script() -> Path:
    if not AUTOMATION.exists():
        pytest.fail(f"{AUTOMATION} is missing: `make install` installs the project's console script")
    return AUTOMATION


@dataclass
class Automation:
    """Runs the installed `automation` script as a user who pasted the runtime's export line."""

    runtime: LocalRuntime
    home: Path

    def __call__(
        self,
        *args: str,
        stdin: str | None = None,
        env: Mapping[str, str] | None = None,
        configured: bool = True,
    ) -> Result:
        completed = subprocess.run(
            [str(_script()), *args],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            env=self.environment(configured, env),
            timeout=COMMAND_SECONDS,
            cwd=self.home,
            check=False,
        )
        # Whatever went wrong, a person reads a message, never a traceback.
        assert "Traceback" not in completed.stderr, completed.stderr
        return Result(completed.returncode, completed.stdout, completed.stderr)

    def start(self, *args: str) -> subprocess.Popen[str]:
        """The command running in the background, for what happens while it waits."""
        return subprocess.Popen(
            [str(_script()), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.environment(),
            cwd=self.home,
        )

    def environment(self, configured: bool = True, env: Mapping[str, str] | None = None) -> dict[str, str]:
        return {
            **user_environment(),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            **(self.runtime.settings if configured else {}),
            **(env or {}),
        }

    def login(self, user: str, profile: str = "default") -> Result:
        result = self(
            "login",
            "--username",
            user,
            "--password-stdin",
            "--profile",
            profile,
            stdin=self.runtime.logins[user] + "\n",
        )
        assert result.code == 0, result.output
        return result

    @property
    def token_file(self) -> Path:
        return self.home / ".config" / "devsphere-automation" / "tokens.json"


@pytest.fixture(scope="module")
def automation(runtime: LocalRuntime, home: Path) -> Automation:
    return Automation(runtime, home)
