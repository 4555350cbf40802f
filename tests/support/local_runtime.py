"""`python -m local` (the `make dev` service) started for a test module: its banner read, its output kept,
HTTP to its one origin, and Cognito ID tokens the way the portal gets them (SRP through `/auth`).

The process runs in a user's shell: none of the suite's own AWS or tool settings reach it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from pycognito.aws_srp import AWSSRP

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
STOP_SECONDS = 15
REGION = "eu-west-2"
# The banner prints one indented line per demo login: "    admin  / <password>   (what it may do)".
LOGIN_LINE = re.compile(r"^\s+(?P<user>[\w.@-]+)\s+/\s+(?P<password>\S+)\s+\(")
MOTO_LINE = re.compile(r"^\s+AWS emulation\s+(?P<url>http://\S+)")
EXPORT_LINE = re.compile(r"^\s+export (?P<assignments>AUTOMATION_.*)$")
READY = "Ready:"
_COGNITO_JSON = "application/x-amz-json-1.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def user_environment() -> dict[str, str]:
    """A user's shell: no AWS credentials or settings, and none of the suite's own (log level, fake AWS)."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "POWERTOOLS_", "AUTOMATION_", "XDG_"))
    }


@dataclass
class LocalRuntime:
    process: subprocess.Popen[str]
    port: int
    logins: dict[str, str] = field(default_factory=dict)
    moto_url: str = ""
    # The `export AUTOMATION_...` line's assignments, as a user pastes them into a shell.
    settings: dict[str, str] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The portal's address, as the banner's Ready line prints it."""
        return self.origin + "/"

    def lines(self) -> list[str]:
        """The output so far (the runtime keeps printing while a test reads it)."""
        with self.lock:
            return list(self.output)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.lines()[-lines:])

    def aws(self, service: str) -> Any:
        """An SDK client of the emulation, as an operator with `aws --endpoint-url` would use it."""
        return boto3.client(
            service,
            endpoint_url=self.moto_url,
            region_name=self.settings.get("AUTOMATION_REGION", REGION),
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    # --- HTTP ---------------------------------------------------------------------------------------

    def call(
        self, method: str, path: str, token: str | None = None, body: bytes | None = None, **headers: str
    ) -> tuple[int, dict[str, str], bytes]:
        """One request to the runtime's origin; an error status is an answer, not an exception."""
        request = urllib.request.Request(self.origin + path, data=body, method=method, headers=headers)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def raw(self, data: bytes, body: bytes = b"", timeout: float = 30) -> bytes:
        """Sends bytes as they are (head, then body) and reads the answer until the server closes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as connection:
            connection.sendall(data)
            for start in range(0, len(body), 1024 * 1024):
                connection.sendall(body[start : start + 1024 * 1024])
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    def call_json(
        self, method: str, path: str, token: str | None = None, body: Any = None, **headers: str
    ) -> tuple[int, dict[str, str], Any]:
        """`call` with a JSON body sent and a JSON answer parsed (any other answer comes back as text)."""
        data = json.dumps(body).encode() if body is not None else None
        if data is not None and "Content-Type" not in headers:
            headers["Content-Type"] = "application/json"
        status, answer_headers, raw = self.call(method, path, token, data, **headers)
        is_json = answer_headers.get("Content-Type", "").startswith("application/")
        return status, answer_headers, json.loads(raw) if is_json and raw else raw.decode()

    # --- Cognito ------------------------------------------------------------------------------------

    def token(self, username: str) -> str:
        """A demo login's ID token from USER_SRP_AUTH, the only flow the deployed app client allows (moto
        allows any)."""
        config = self.call_json("GET", "/config.json")[2]
        srp = AWSSRP(
            username=username,
            password=self.logins[username],
            pool_id=config["userPoolId"],
            client_id=config["clientId"],
            # Only the SRP arithmetic is used: the requests go through /auth, as the portal's do.
            client=object(),
        )
        parameters = srp.get_auth_params()
        challenge = self._cognito(
            "InitiateAuth",
            {"AuthFlow": "USER_SRP_AUTH", "ClientId": config["clientId"], "AuthParameters": parameters},
        )
        assert challenge.get("ChallengeName") == "PASSWORD_VERIFIER", challenge
        with warnings.catch_warnings():
            # pycognito still calls datetime.utcnow() for the claim's timestamp.
            warnings.simplefilter("ignore", DeprecationWarning)
            claim = srp.process_challenge(challenge["ChallengeParameters"], parameters)
        answer = self._cognito(
            "RespondToAuthChallenge",
            {
                "ClientId": config["clientId"],
                "ChallengeName": "PASSWORD_VERIFIER",
                "ChallengeResponses": claim,
                "Session": challenge["Session"],
            },
        )
        token: str = answer["AuthenticationResult"]["IdToken"]
        return token

    def _cognito(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        status, _, answer = self.call_json(
            "POST",
            "/auth",
            body=body,
            **{"X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}", "Content-Type": _COGNITO_JSON},
        )
        assert status == 200, answer
        return dict(answer)

    # --- the process --------------------------------------------------------------------------------

    def _read(self) -> None:
        assert self.process.stdout is not None
        # The runtime echoes every run's log lines: drain the pipe so it never blocks on a full buffer.
        for raw in self.process.stdout:
            line = raw.rstrip("\n")
            with self.lock:
                self.output.append(line)
            if self.ready.is_set():
                continue  # past the banner: the runs' own log lines
            if login := LOGIN_LINE.match(line):
                self.logins[login["user"]] = login["password"]
            if moto := MOTO_LINE.match(line):
                self.moto_url = moto["url"]
            if export := EXPORT_LINE.match(line):
                self.settings = dict(item.split("=", 1) for item in shlex.split(export["assignments"]))
            if line.startswith(READY):
                self.ready.set()

    def stop(self) -> None:
        """SIGTERM (a clean stop), then SIGKILL if it does not come."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_SECONDS)


@contextmanager
def start_local_runtime(*options: str, startup_seconds: float = STARTUP_SECONDS) -> Iterator[LocalRuntime]:
    """`python -m local` on free ports with `options` (e.g. --fire-now, --require-mfa), ready to use;
    stopped at the end."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", str(port), "--moto-port", "0", *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**user_environment(), "PYTHONUNBUFFERED": "1"},
    )
    started = LocalRuntime(process, port)
    threading.Thread(target=started._read, daemon=True).start()
    try:
        deadline = time.monotonic() + startup_seconds
        while not started.ready.wait(0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the runtime was not ready within {startup_seconds} s:\n{started.tail()}")
        yield started
    finally:
        started.stop()
