"""The local AWS backend server: moto's threaded server, answering one request at a time.

moto's in-memory backends are not thread-safe: a TransactWriteItems deep-copies the table while another
request thread writes it ("dictionary changed size during iteration", an HTTP 500 to the client). AWS
applies each call atomically; serialising the embedded server's requests gives the local backend that
property, at no cost that matters for one developer's traffic.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def one_at_a_time(app: WsgiApp) -> WsgiApp:
    """A WSGI app that runs ``app`` (and drains its response) under one lock."""
    lock = threading.Lock()

    def serial(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with lock:
            return list(app(environ, start_response))

    return serial


class SerialMotoServer(ThreadedMotoServer):
    """``ThreadedMotoServer`` whose requests run one at a time (see the module docstring)."""

    def _server_entry(self) -> None:
        app = one_at_a_time(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()
