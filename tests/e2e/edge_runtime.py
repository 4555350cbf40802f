"""`python -m local` started for the edge tests: its origin, its demo logins, Cognito tokens, raw HTTP.

Started without demo data (quicker, and no job has items to send), with no schedule fired at start.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
LOGIN_LINE = re.compile(r"^\s+(?P<user>admin|ceo|viewer)\s+/\s+(?P<password>\S+)")


@dataclass
class EdgeRuntime:
    process: subprocess.Popen[str]
    origin: str
    port: int
    logins: dict[str, str] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output[-lines:])

    def token(self, username: str) -> str:
        config = json.loads(urllib.request.urlopen(self.origin + "/config.json", timeout=10).read())
        request = urllib.request.Request(
            self.origin + "/auth",
            data=json.dumps(
                {
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "ClientId": config["clientId"],
                    "AuthParameters": {"USERNAME": username, "PASSWORD": self.logins[username]},
                }
            ).encode(),
            method="POST",
            headers={
                "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
                "Content-Type": "application/x-amz-json-1.1",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            token: str = json.loads(answer.read())["AuthenticationResult"]["IdToken"]
        return token

    def call(
        self, method: str, path: str, token: str | None = None, body: bytes | None = None, **headers: str
    ) -> tuple[int, dict[str, str], bytes]:
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
            sent = 0
            while sent < len(body):
                connection.sendall(body[sent : sent + 1024 * 1024])
                sent += 1024 * 1024
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def edge_runtime() -> Iterator[EdgeRuntime]:
    port = _free_port()
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "POWERTOOLS_"))
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", str(port), "--moto-port", "0", "--no-demo-data"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**environment, "PYTHONUNBUFFERED": "1"},
    )
    started = EdgeRuntime(process, f"http://127.0.0.1:{port}", port)

    def read_output() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip("\n")
            started.output.append(line)
            if login := LOGIN_LINE.match(line):
                started.logins[login["user"]] = login["password"]
            if line.startswith("Ready:"):
                started.ready.set()

    threading.Thread(target=read_output, daemon=True).start()
    begun = time.monotonic()
    try:
        while not started.ready.wait(0.2):
            if process.poll() is not None or time.monotonic() - begun > STARTUP_SECONDS:
                raise RuntimeError(f"the runtime was not ready within {STARTUP_SECONDS} s:\n{started.tail()}")
        yield started
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def error_of(body: bytes) -> dict[str, Any]:
    """The `error` object of an error answer, checked for the one error shape."""
    value = json.loads(body)
    assert set(value) == {"error"}, value
    error: dict[str, Any] = value["error"]
    assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), value
    return error
