"""The local server's moto backend, answering one request at a time.

moto's TransactWriteItems deep-copies the table and applies the items without a lock, so two requests
at once (the API and the local sweep loop, say) can corrupt it or fail with a 500, while DynamoDB's
transactions are atomic. Serialising requests gives the local server DynamoDB's atomicity.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def serialised(app: WsgiApp) -> WsgiApp:
    """``app`` behind a lock; the body is read inside it, so no response is produced concurrently."""
    lock = threading.Lock()

    def call(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with lock:
            result = app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    return call


class SerialMotoServer(ThreadedMotoServer):
    """``ThreadedMotoServer`` whose requests run one at a time (connections are still threaded)."""

    def _server_entry(self) -> None:
        app = serialised(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()
