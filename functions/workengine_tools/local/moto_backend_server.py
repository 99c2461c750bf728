"""The local AWS backend server: moto's threaded server, answering one request at a time.

moto's in-memory backends are not thread-safe: a TransactWriteItems deep-copies the table while another
request thread writes it ("dictionary changed size during iteration", an HTTP 500 to the client). AWS
applies each call atomically; serialising the embedded server's requests gives the local backend that
property, at no cost that matters for one developer's traffic.

DynamoDB also treats a TransactWriteItems repeated with the same ``ClientRequestToken`` (botocore fills
one in and keeps it across its retries) as the same request for ten minutes. moto does not, so a client
retry after a read timeout (likelier now that requests queue) would apply the transaction twice and fail
its own conditions (a spurious 409). The wrapper answers a repeated token with the first answer.
"""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
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
TRANSACT_TARGET = "DynamoDB_20120810.TransactWriteItems"
REMEMBERED_TOKENS = 10_000
Answer = tuple[str, list[tuple[str, str]], bytes]


def _transaction_token(environ: dict[str, Any]) -> str | None:
    """The ClientRequestToken of a TransactWriteItems request (the body is put back for moto)."""
    if environ.get("HTTP_X_AMZ_TARGET") != TRANSACT_TARGET:
        return None
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        token = json.loads(body or b"{}").get("ClientRequestToken")
    except (ValueError, AttributeError):
        return None
    return token if isinstance(token, str) else None


def one_at_a_time(app: WsgiApp) -> WsgiApp:
    """``app`` behind a lock (the body is read inside it), answering a repeated transaction token with
    the first successful answer."""
    lock = threading.Lock()
    answered: OrderedDict[str, Answer] = OrderedDict()

    def call(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        token = _transaction_token(environ)
        with lock:
            if token is not None and token in answered:
                status, headers, body = answered[token]
                start_response(status, headers)
                return [body]
            seen: dict[str, Any] = {}

            def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                seen["status"], seen["headers"] = status, headers
                return start_response(status, headers, exc_info)

            result = app(environ, capture)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            if token is not None and str(seen.get("status", "")).startswith("200"):
                answered[token] = (seen["status"], list(seen["headers"]), body)
                while len(answered) > REMEMBERED_TOKENS:
                    answered.popitem(last=False)
            return [body]

    return call


class SerialMotoServer(ThreadedMotoServer):
    """``ThreadedMotoServer`` whose requests run one at a time (see the module docstring)."""

    def _server_entry(self) -> None:
        app = one_at_a_time(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()
