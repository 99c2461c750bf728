"""The local moto wrapper: a repeated TransactWriteItems token gets the first answer instead of being
applied twice (DynamoDB's idempotency, which moto lacks)."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from workengine_tools.local.moto_backend_server import TRANSACT_TARGET, one_at_a_time


class CountingApp:
    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self.active = 0
        self.most_active = 0
        self.delay = delay

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.calls += 1
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        body = environ["wsgi.input"].read()
        time.sleep(self.delay)
        self.active -= 1
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"call": %d, "echo": ' % self.calls, body, b"}"]


def request(token: str | None, target: str = TRANSACT_TARGET) -> dict[str, Any]:
    body = json.dumps({"TransactItems": [], **({"ClientRequestToken": token} if token else {})}).encode()
    return {"HTTP_X_AMZ_TARGET": target, "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}


def call(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    seen: list[str] = []
    body = b"".join(app(environ, lambda status, headers, exc_info=None: seen.append(status)))
    return seen[0], body


def test_a_repeated_transaction_token_is_answered_without_applying_it_again() -> None:
    inner = CountingApp()
    app = one_at_a_time(inner)

    first = call(app, request("tok-1"))
    retry = call(app, request("tok-1"))
    other = call(app, request("tok-2"))

    assert retry == first and inner.calls == 2
    assert json.loads(first[1])["echo"]["ClientRequestToken"] == "tok-1"  # moto saw the body
    assert other[1] != first[1]


def test_other_requests_pass_through_every_time() -> None:
    inner = CountingApp()
    app = one_at_a_time(inner)

    call(app, request(None))
    call(app, request(None))
    call(app, request("same", target="DynamoDB_20120810.PutItem"))
    call(app, request("same", target="DynamoDB_20120810.PutItem"))

    assert inner.calls == 4
