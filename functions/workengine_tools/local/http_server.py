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

from workengine_tools.local.events import LocalLambdaContext, http_api_event
from workengine_tools.local.tokens import InvalidTokenError, verify_token

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
PUBLIC_PATHS = frozenset({"/health", "/openapi.json", "/docs"})
MAX_REQUEST_BYTES = 1024 * 1024
LISTEN_BACKLOG = 128  # connections the kernel queues before the server accepts them


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
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
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

        def _handle(self) -> None:
            started = time.perf_counter()
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_REQUEST_BYTES:
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

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = _LocalHttpServer((host, port), RequestHandler)
    server.daemon_threads = True
    return server


class _LocalHttpServer(ThreadingHTTPServer):
    # The default listen backlog (5) resets connections when a burst of clients arrives at once.
    request_queue_size = LISTEN_BACKLOG
