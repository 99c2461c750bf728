"""The request before any route sees it: path segments no ID can have (they would become DynamoDB keys
over the 2,048-byte limit), and the body's size, media type and JSON that Python's parser would take but
DynamoDB or the models cannot (``NaN``, ``Infinity``, integers of thousands of digits, nesting that
exhausts the parser's stack), and a body that is not a JSON object (every route's body is one; Powertools
would otherwise take a one-item array ``[{...}]`` for its item). Each refusal is a domain error, so the
contract's body comes from the one mapping in ``app``."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from workengine.domain.errors import (
    NotFoundError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
    WorkEngineError,
)
from workengine.domain.value_rules import text_problem

MAX_BODY_BYTES = 256 * 1024
# IDs and template keys are at most 128 characters; a longer segment names nothing that can exist.
MAX_PATH_SEGMENT = 256
JSON_MEDIA_TYPE = "application/json"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def media_type(headers: dict[str, Any]) -> str:
    """``application/json; charset=utf-8`` → ``application/json`` (empty when absent)."""
    raw = next((str(v) for k, v in headers.items() if k.lower() == "content-type"), "")
    return raw.split(";", 1)[0].strip().lower()


def request_problem(event: dict[str, Any]) -> WorkEngineError | None:
    """Why the request must be refused before routing (404, 413, 415 or 422), or None."""
    return path_problem(str(event.get("rawPath") or "")) or body_problem(event)


def path_problem(path: str) -> WorkEngineError | None:
    for segment in path.split("/"):
        if len(segment) > MAX_PATH_SEGMENT or text_problem(segment):
            return NotFoundError("resource", segment[:64])
    return None


def body_problem(event: dict[str, Any]) -> WorkEngineError | None:
    """Why the event's body must be refused (413, 415 or 422), or None."""
    body = event.get("body")
    if not body:
        return None
    if len(body) > MAX_BODY_BYTES:
        return PayloadTooLargeError(
            f"the request body exceeds {MAX_BODY_BYTES} bytes", {"limit": MAX_BODY_BYTES}
        )
    sent_type = media_type(event.get("headers") or {})
    if sent_type != JSON_MEDIA_TYPE:
        return UnsupportedMediaTypeError(
            f"request bodies must be {JSON_MEDIA_TYPE}, not {sent_type or 'untyped'}",
            {"content_type": sent_type or None, "supported": [JSON_MEDIA_TYPE]},
        )
    try:
        text = base64.b64decode(body, validate=True).decode() if event.get("isBase64Encoded") else body
        parsed = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        return ValidationFailedError("the request body is nested too deeply", {"field": "body"})
    except json.JSONDecodeError as exc:
        return ValidationFailedError(
            f"the request body is not valid JSON: {exc.msg}", {"field": "body", "position": exc.pos}
        )
    except (ValueError, binascii.Error) as exc:  # NaN/Infinity, an integer over 4,300 digits, bad UTF-8
        return ValidationFailedError(f"the request body is not acceptable JSON: {exc}", {"field": "body"})
    if parsed is not None and not isinstance(parsed, dict):
        return ValidationFailedError("the request body must be a JSON object", {"field": "body"})
    return None
