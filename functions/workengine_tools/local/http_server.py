"""The local API: each HTTP request becomes an API Gateway HTTP API payload v2 event for the same
``lambda_handler`` AWS calls, after the bearer token is verified as the JWT authorizer would."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from workengine.handlers.api.public_routes import PUBLIC_PATHS
from workengine_tools.local.events import LocalLambdaContext, http_api_event
from workengine_tools.local.tokens import InvalidTokenError, verify_token

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
MAX_REQUEST_BYTES = 1024 * 1024
LISTEN_BACKLOG = 128  # connections the kernel queues before the server accepts them
READ_TIMEOUT_SECONDS = 15


def api_gateway_query(raw_query: str) -> dict[str, str]:
    """``queryStringParameters`` as API Gateway HTTP APIs build them: a repeated parameter's values are
    joined with commas (``?limit=1&limit=1000`` → ``"1,1000"``), never "the last one wins"."""
    joined: dict[str, list[str]] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        joined.setdefault(name, []).append(value)
    return {name: ",".join(values) for name, values in joined.items()}


def content_length(raw: str | None) -> int | None:
    """The declared body length, or None when it is not a non-negative integer (answered with 400)."""
    if raw is None:
        return 0
    text = raw.strip()
    if not text.isdigit():
        return None
    return int(text)


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"error": {"code": code, "message": message, "details": {}}}).encode()
    return status, {"Content-Type": "application/json"}, body


class LocalApi:
    """Routes a request to the handler: 401 without a valid token, as API Gateway answers in AWS."""

    def __init__(self, handler: Handler, jwt_secret: str) -> None:
        self._handler = handler
        self._secret = jwt_secret

    def dispatch(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        path = parts.path or "/"
        query = api_gateway_query(parts.query)
        claims = None
        if path not in PUBLIC_PATHS and not path.startswith("/docs"):
            authorization = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token:
                return _error(401, "UNAUTHORIZED", "a bearer token is required")
            try:
                claims = verify_token(self._secret, token.strip())
            except InvalidTokenError:
                return _error(401, "UNAUTHORIZED", "the bearer token is not valid")
        raw_body = body.decode("utf-8", errors="replace") if body else None
        event = http_api_event(method, path, query=query, headers=headers, claims=claims, raw_body=raw_body)
        response = self._handler(event, LocalLambdaContext())
        out_headers = {str(k): str(v) for k, v in (response.get("headers") or {}).items()}
        for name, values in (response.get("multiValueHeaders") or {}).items():
            out_headers[name] = ", ".join(values)
        payload = response.get("body") or ""
        data = payload.encode() if isinstance(payload, str) else bytes(payload)
        if response.get("isBase64Encoded"):
            import base64

            data = base64.b64decode(data)
        return int(response.get("statusCode", 200)), out_headers, data


RequestLog = Callable[[str, str, int, float], None]


def log_request(method: str, path: str, status: int, seconds: float) -> None:
    """One readable line per request on stderr: ``GET /tasks 200 12.3 ms``."""
    print(f"{method} {path} {status} {seconds * 1000:.1f} ms", file=sys.stderr, flush=True)


def make_server(
    api: LocalApi, host: str, port: int, request_log: RequestLog | None = None
) -> ThreadingHTTPServer:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # A client that declares more body than it sends would otherwise hold a thread forever.
        timeout = READ_TIMEOUT_SECONDS

        def _handle(self) -> None:
            started = time.perf_counter()
            length = content_length(self.headers.get("Content-Length"))
            if length is None:
                status, headers, data = _error(400, "BAD_REQUEST", "Content-Length is not a valid length")
                self.close_connection = True
            elif length > MAX_REQUEST_BYTES:
                status, headers, data = _error(413, "PAYLOAD_TOO_LARGE", "the request body is too large")
                self.rfile.read(min(length, MAX_REQUEST_BYTES))
                self.close_connection = True
            else:
                body = self.rfile.read(length) if length else None
                status, headers, data = api.dispatch(
                    self.command, self.path, dict(self.headers.items()), body
                )
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            if request_log is not None:
                request_log(self.command, urlsplit(self.path).path, status, time.perf_counter() - started)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = _LocalHttpServer((host, port), RequestHandler)
    server.daemon_threads = True
    return server


class _LocalHttpServer(ThreadingHTTPServer):
    # The default listen backlog (5) resets connections when a burst of clients arrives at once.
    request_queue_size = LISTEN_BACKLOG
