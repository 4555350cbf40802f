"""The `automation` command run as a user runs it: the installed console script, in a subprocess, against
`python -m local` over HTTP, configured with exactly the line the runtime prints.

Each test module gets its own runtime (started without --fire-now, so the first runs are the tests' own).
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
AUTOMATION = Path(sys.executable).with_name("automation")
STARTUP_SECONDS = 60
COMMAND_SECONDS = 120
LOGIN_LINE = re.compile(r"^\s+(?P<user>admin|ceo|viewer)\s+/\s+(?P<password>\S+)")
EXPORT_LINE = re.compile(r"^\s+export (?P<assignments>AUTOMATION_.*)$")
MOTO_LINE = re.compile(r"^\s+AWS emulation\s+(?P<url>http://\S+)")


@dataclass
class LocalRuntime:
    process: subprocess.Popen[str]
    origin: str
    logins: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    moto_url: str = ""
    output: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def tail(self) -> str:
        return "\n".join(self.output[-40:])

    def aws(self, service: str) -> Any:
        """An SDK client of the emulation, as an operator with `aws --endpoint-url` would use it."""
        return boto3.client(
            service, endpoint_url=self.moto_url, region_name=self.settings["AUTOMATION_REGION"]
        )


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def user_environment() -> dict[str, str]:
    """A user's shell: no AWS credentials or settings at all, and none of the suite's own."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "POWERTOOLS_", "AUTOMATION_", "XDG_"))
    }


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", str(port), "--moto-port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**user_environment(), "PYTHONUNBUFFERED": "1"},
    )
    started = LocalRuntime(process, f"http://127.0.0.1:{port}")

    def read_output() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip("\n")
            started.output.append(line)
            if login := LOGIN_LINE.match(line):
                started.logins[login["user"]] = login["password"]
            if moto := MOTO_LINE.match(line):
                started.moto_url = moto["url"]
            if export := EXPORT_LINE.match(line):
                started.settings = dict(item.split("=", 1) for item in shlex.split(export["assignments"]))
            if line.startswith("Ready:"):
                started.ready.set()

    threading.Thread(target=read_output, daemon=True).start()
    begun = time.monotonic()
    try:
        while not started.ready.wait(0.2):
            if process.poll() is not None or time.monotonic() - begun > STARTUP_SECONDS:
                pytest.fail(f"the runtime was not ready within {STARTUP_SECONDS} s:\n{started.tail()}")
        yield started
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


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
