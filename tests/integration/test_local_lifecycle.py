"""`python -m local` as a process: a busy port is a clear error (exit 2), and stopping frees the ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from local.__main__ import parse_args
from local.runtime import Options

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30


def _environment() -> dict[str, str]:
    kept = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "POWERTOOLS_"))}
    return {**kept, "PYTHONUNBUFFERED": "1"}


def _start(*arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "local", "--no-demo-data", *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(),
    )


@contextmanager
def _listening() -> Iterator[int]:
    """A port some other program is listening on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


def _wait_ready(process: subprocess.Popen[str]) -> list[str]:
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Ready:"):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    assert ready.wait(TIMEOUT), "".join(lines)
    return lines


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("option", ["--port", "--moto-port"])
def test_given_a_port_in_use_when_starting_then_it_says_so_and_exits_with_code_2(option: str) -> None:
    with _listening() as busy:
        arguments = (
            [option, str(busy)] if option == "--port" else ["--port", str(_free_port()), option, str(busy)]
        )
        process = _start(*arguments)
        _, errors = process.communicate(timeout=TIMEOUT)

    assert process.returncode == 2
    assert f"port {busy}" in errors and "already in use" in errors


def test_given_a_stopped_runtime_when_started_again_on_the_same_ports_then_it_starts() -> None:
    port, moto_port = _free_port(), _free_port()
    for _ in range(2):
        process = _start("--port", str(port), "--moto-port", str(moto_port))
        try:
            lines = _wait_ready(process)
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=TIMEOUT) == 0
        finally:
            if process.poll() is None:
                process.kill()
        assert any(f"http://127.0.0.1:{port}/" in line for line in lines)


def test_given_the_command_line_then_options_follow_it_and_bad_ports_are_refused() -> None:
    assert parse_args([]) == Options(port=8000, moto_port=0, fire_now=False, demo_data=True)
    assert parse_args(["--port", "9000", "--moto-port", "5005", "--fire-now", "--no-demo-data"]) == Options(
        port=9000, moto_port=5005, fire_now=True, demo_data=False
    )
    with pytest.raises(SystemExit):
        parse_args(["--port", "0"])
    with pytest.raises(SystemExit):
        parse_args(["--port", "70000"])
