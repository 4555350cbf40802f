"""The embedded AWS: a moto server on 127.0.0.1, and the environment that points every SDK call at it."""

from __future__ import annotations

import json
import logging
import os
import socket
import urllib.request
from collections.abc import Callable
from typing import Any

from moto.server import ThreadedMotoServer
from moto.ses.exceptions import MessageRejectedError
from moto.ses.models import SESBackend

DEFAULT_REGION = "eu-west-2"
# moto's default account; every ARN the local runtime builds must use it to match what moto returns.
ACCOUNT_ID = "123456789012"
LOCALHOST = "127.0.0.1"


def base_environment(region: str) -> dict[str, str]:
    """Fake credentials and a fixed region: nothing started locally can reach a real AWS account."""
    return {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
        # A profile in the user's own config could carry endpoints or credentials of a real account.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def endpoint_environment(moto_url: str, lambda_url: str) -> dict[str, str]:
    """Every service goes to moto except Lambda, whose invocations the runtime runs itself."""
    return {"AWS_ENDPOINT_URL": moto_url, "AWS_ENDPOINT_URL_LAMBDA": lambda_url}


def apply_environment(values: dict[str, str]) -> None:
    for name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL_")]:
        if name not in values:
            del os.environ[name]
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(values)


def check_port_free(port: int) -> None:
    """Raises OSError(EADDRINUSE) now, because moto's server thread would fail silently and never start."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((LOCALHOST, port))


class EmbeddedAws:
    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._server: ThreadedMotoServer | None = None
        self.url = ""

    def start(self) -> str:
        check_port_free(self._requested_port)
        # werkzeug would print one line per SDK request.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address=LOCALHOST, port=self._requested_port, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        # moto keeps its state per process: a second start in one process begins from nothing too.
        self._post("/moto-api/reset", None)
        # moto would try to run Lambda code in Docker; the runtime's own Lambda emulation runs it instead.
        self._post("/moto-api/config", {"lambda": {"use_docker": False}})
        return self.url

    def _post(self, path: str, body: object) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        request = urllib.request.Request(self.url + path, data=data, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def enforce_ses_sandbox() -> Callable[[], None]:
    """Makes moto's SES refuse unverified recipients, as SES does in a new AWS account (the sandbox).

    moto sends to anyone. Without this a local run could never show what an address SES refuses does to a
    run; with it, the same MessageRejected error reaches the same code as in AWS. Returns the undo.
    """
    original = SESBackend.send_email

    def send_email(
        backend: SESBackend, source: str, subject: str, body: str, destinations: dict[str, list[str]]
    ) -> Any:
        if not backend._is_verified_address(source):
            # SES refuses an unverified sender before it looks at any recipient: one cause for every send.
            return original(backend, source, subject, body, destinations)
        unverified = [
            address
            for addresses in destinations.values()
            for address in addresses
            if not backend._is_verified_address(address)
        ]
        if unverified:
            backend.rejected_messages_count += 1
            raise MessageRejectedError(
                "Email address is not verified. The following identities failed the check in region "
                f"{backend.region_name.upper()}: {', '.join(unverified)}"
            )
        return original(backend, source, subject, body, destinations)

    SESBackend.send_email = send_email  # type: ignore[method-assign,assignment]

    def undo() -> None:
        SESBackend.send_email = original  # type: ignore[method-assign]

    return undo
