"""API Gateway HTTP API (payload format 2.0) events, as the local server and the tests build them."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode


def http_api_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: Any = None,
    claims: dict[str, Any] | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    """An event shaped like the one API Gateway sends after its JWT authorizer accepted the token:
    the verified claims sit in ``requestContext.authorizer.jwt.claims``."""
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    if raw_body is None and body is not None:
        raw_body = json.dumps(body)
        lowered.setdefault("content-type", "application/json")
    request_context: dict[str, Any] = {
        "accountId": "000000000000",
        "apiId": "local",
        "domainName": "localhost",
        "domainPrefix": "local",
        "http": {
            "method": method.upper(),
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": lowered.get("user-agent", "workengine-local"),
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": "$default",
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
        "timeEpoch": int(time.time() * 1000),
    }
    if claims is not None:
        request_context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": lowered,
        "queryStringParameters": dict(query) if query else None,
        "requestContext": request_context,
        "body": raw_body,
        "isBase64Encoded": False,
    }


class LocalLambdaContext:
    """The attributes Powertools reads from a Lambda context."""

    function_name = "workengine-api-local"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:workengine-api-local"
    memory_limit_in_mb = 512
    log_group_name = "/aws/lambda/workengine-api-local"
    log_stream_name = "local"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 30_000
