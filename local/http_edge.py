"""The local origin's HTTP edge: strict framing, bounded bodies and paths, and an answer for every request.

A request that cannot be framed (a bad or repeated `Content-Length`, a chunked body) is refused and the
connection closed, since its body cannot be told from the next request. A body over the limit is read and
thrown away before the 413 is sent, so the client reads the answer instead of a broken pipe. Nothing a
client sends prints a traceback: a client that goes away or stalls is dropped quietly.
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from functions.api.edges import GATEWAY_ERRORS, echo

# API Gateway's payload limit.
MAX_BODY_BYTES = 10 * 1024 * 1024
# A body this much larger is not read through to answer politely: the connection is closed after the 413.
MAX_DRAIN_BYTES = 4 * MAX_BODY_BYTES
# API Gateway's limit on the length of a URL.
MAX_TARGET = 8192
# A client that sends nothing for this long loses its connection (and its thread).
READ_TIMEOUT_SECONDS = 30
_DRAIN_CHUNK = 64 * 1024
_DIGITS = re.compile(r"[0-9]{1,19}")

# Every answer of this origin; pages add their CSP, JSON adds no-store.
BASE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, value: Any, headers: dict[str, str] | None = None) -> Response:
        return cls(
            status,
            json.dumps(value).encode(),
            {"Content-Type": "application/json", "Cache-Control": "no-store", **(headers or {})},
        )

    @classmethod
    def error(cls, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
        """The API's error shape, `request_id` included as API Gateway's own answers carry it."""
        body = {"error": {"code": code, "message": message, "request_id": str(uuid.uuid4())}}
        return cls.json(status, body, headers)


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query as sent
    headers: list[tuple[str, str]]
    body: bytes
    client_ip: str

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        values = [value for key, value in self.headers if key.lower() == wanted]
        return values[-1] if values else None


class EdgeServer(ThreadingHTTPServer):
    """Bound at construction (so a busy port fails early); `respond` decides each answer."""

    daemon_threads = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), EdgeHandler)

    def respond(self, request: Request) -> Response:
        raise NotImplementedError

    def handle_error(self, request: Any, client_address: Any) -> None:
        """An error outside any request's handling: one line instead of socketserver's traceback."""
        print(
            f"local gateway: connection from {client_address[0]} failed: {echo(repr(sys.exc_info()[1]))}",
            file=sys.stderr,
        )


class EdgeHandler(BaseHTTPRequestHandler):
    """Moves bytes for one connection; the server's `respond` decides the answer."""

    timeout = READ_TIMEOUT_SECONDS
    server: EdgeServer

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, TimeoutError):
            # The client went away or stalled mid-request: there is no one left to answer.
            self.close_connection = True

    def _serve(self) -> None:
        refusal = self._refusal()
        if refusal is not None:
            self.close_connection = True
            self._write(refusal)
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._write(self._too_large(length))
            return
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            self.close_connection = True  # the client closed before sending its whole body
            return
        request = Request(self.command, self.path, list(self.headers.items()), body, self.client_address[0])
        try:
            response = self.server.respond(request)
        except Exception as error:  # one line on the console, never a traceback
            print(
                f"local gateway: {self.command} {echo(self.path)} failed: {echo(repr(error))}",
                file=sys.stderr,
            )
            response = Response.error(
                HTTPStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "The request failed."
            )
        self._write(response)

    # The names http.server looks up for each method.
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve  # noqa: N815

    def _refusal(self) -> Response | None:
        if len(self.path) > MAX_TARGET:
            return Response.error(
                HTTPStatus.REQUEST_URI_TOO_LONG, HTTPStatus.REQUEST_URI_TOO_LONG.name, "The URL is too long."
            )
        if self.headers.get("Transfer-Encoding") is not None:
            return Response.error(
                HTTPStatus.LENGTH_REQUIRED, "LENGTH_REQUIRED", "Send the body with a Content-Length."
            )
        values = {value.strip() for value in self.headers.get_all("Content-Length") or []}
        if len(values) > 1 or any(not _DIGITS.fullmatch(value) for value in values):
            return Response.error(
                HTTPStatus.BAD_REQUEST, "BAD_REQUEST", "Content-Length must be one non-negative integer."
            )
        return None

    def _too_large(self, length: int) -> Response:
        if length <= MAX_DRAIN_BYTES:
            remaining = length
            while remaining:
                chunk = self.rfile.read(min(_DRAIN_CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
        self.close_connection = True
        answer = GATEWAY_ERRORS["REQUEST_TOO_LARGE"]
        return Response.error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, answer.code, answer.message or "")

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in {**BASE_HEADERS, **response.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line, a URL or header too long), as JSON."""
        self.close_connection = True
        status = HTTPStatus(code)
        self._write(Response.error(code, status.name, message or status.phrase))

    def log_message(self, format: str, *args: Any) -> None:
        """The API logs each request itself; an access line as well would double the console output."""
