"""A moto server that answers one request at a time.

DynamoDB applies each request (a conditional write, a whole transaction) atomically. moto evaluates a
condition and then applies the write in separate steps, so two threads of its server can both pass a
condition that only one may pass. Race tests therefore talk to this server, whose requests are serialized:
each request is atomic, as in DynamoDB, while the clients still race for the order in which they arrive.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from threading import Event, Lock, Thread
from typing import Any

from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.server import DomainDispatcherApplication, create_backend_app
from pynamodb.models import Model
from werkzeug.serving import BaseWSGIServer, make_server


class SerialMotoServer:
    def __init__(self) -> None:
        self._server: BaseWSGIServer | None = None
        self._ready = Event()
        self._lock = Lock()
        self._thread: Thread | None = None

    def _app(self) -> Any:
        moto_app = DomainDispatcherApplication(create_backend_app)

        def serialized(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            with self._lock:
                return list(moto_app(environ, start_response))

        return serialized

    def _serve(self) -> None:
        self._server = make_server("127.0.0.1", 0, self._app(), True, request_handler=MotoRequestHandler)
        self._ready.set()
        self._server.serve_forever()

    def start(self) -> str:
        self._thread = Thread(target=self._serve, daemon=True)
        self._thread.start()
        self._ready.wait()
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def forget_pynamodb_connections() -> None:
    """pynamodb caches a client per model class: it must not outlive the endpoint or handlers it had."""
    pending = list(Model.__subclasses__())
    while pending:
        model = pending.pop()
        model._connection = None
        pending.extend(model.__subclasses__())


@contextmanager
def serial_dynamodb() -> Iterator[str]:
    """The tables on a SerialMotoServer, which every DynamoDB client of the process talks to: race tests."""
    from functions.data.schema import create_tables

    server = SerialMotoServer()
    endpoint = server.start()
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    forget_pynamodb_connections()
    try:
        create_tables()
        yield endpoint
    finally:
        del os.environ["AWS_ENDPOINT_URL_DYNAMODB"]
        forget_pynamodb_connections()
        server.stop()
