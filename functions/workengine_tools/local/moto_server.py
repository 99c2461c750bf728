"""The local server's moto backend, answering one request at a time, with DynamoDB's transaction
idempotency.

moto's TransactWriteItems deep-copies the table and applies the items without a lock, so two requests
at once (the API and the local sweep loop, say) can corrupt it or fail with a 500, while DynamoDB's
transactions are atomic. Serialising requests gives the local server DynamoDB's atomicity.

DynamoDB also treats a TransactWriteItems repeated with the same ``ClientRequestToken`` (botocore fills
one in and keeps it across its retries) as the same request for ten minutes. moto does not, so a client
retry after a read timeout would apply the transaction twice and fail its own conditions (a spurious
409). The wrapper answers a repeated token with the first answer, as DynamoDB does.
"""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
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


def serialised(app: WsgiApp) -> WsgiApp:
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
    """``ThreadedMotoServer`` whose requests run one at a time (connections are still threaded)."""

    def _server_entry(self) -> None:
        app = serialised(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()
