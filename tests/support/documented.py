"""Every answer a test sees must be one the OpenAPI document promises: its status documented for the
route, and an error's code among that route's codes (``x-error-codes``). ``ApiClient`` checks each call,
so a route answering something undocumented fails the test that provoked it."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from workengine.handlers.api.app import app


@lru_cache(maxsize=1)
def _operations() -> list[tuple[str, re.Pattern[str], str, dict[str, Any]]]:
    document = json.loads(app.get_openapi_json_schema())
    found = []
    for template, operations in document["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
        for method, operation in operations.items():
            found.append((method.upper(), pattern, template, operation))
    return found


def undocumented_answer(method: str, path: str, status: int, body: Any) -> str | None:
    """Why this answer breaks the document, or None when it is documented (or no route matches)."""
    for op_method, pattern, template, operation in _operations():
        if op_method != method.upper() or not pattern.match(path.split("?", 1)[0]):
            continue
        route = f"{op_method} {template}"
        if str(status) not in operation["responses"]:
            return f"{route} answered {status}, which its OpenAPI responses do not list ({body!r:.300})"
        if status >= 400:
            code = body.get("error", {}).get("code") if isinstance(body, dict) else None
            if code not in operation.get("x-error-codes", []):
                return (
                    f"{route} answered {status} {code}, not among its documented codes: add it to "
                    f"ROUTE_ERRORS in workengine/handlers/api/route_errors.py"
                )
        return None
    return None
