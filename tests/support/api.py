"""Calls the real API ``lambda_handler`` with API Gateway HTTP API payload v2 events."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.support.documented import undocumented_answer
from workengine.domain.enums import Role
from workengine.handlers.api.app import lambda_handler
from workengine_tools.local.events import LocalLambdaContext, http_api_event


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    user_id: str
    role: Role = Role.MEMBER

    @property
    def claims(self) -> dict[str, str]:
        return {"sub": self.user_id, "custom:tenant_id": self.tenant_id, "custom:role": self.role.value}


@dataclass
class ApiResponse:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def error_code(self) -> str | None:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return str(self.body["error"].get("code"))
        return None


class ApiClient:
    def __init__(self, default_caller: Caller) -> None:
        self.caller = default_caller

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        caller: Caller | None = None,
        anonymous: bool = False,
        raw_body: str | None = None,
    ) -> ApiResponse:
        who = caller or self.caller
        event = http_api_event(
            method,
            path,
            query=query,
            headers=headers,
            body=body,
            raw_body=raw_body,
            claims=None if anonymous else who.claims,
        )
        response = lambda_handler(event, LocalLambdaContext())
        raw = response.get("body") or ""
        try:
            parsed = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            parsed = raw
        answer = ApiResponse(int(response["statusCode"]), parsed, dict(response.get("headers") or {}))
        problem = undocumented_answer(method, path, answer.status, answer.body)
        assert problem is None, problem
        return answer

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.call("POST", path, body=body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.call("PATCH", path, body=body, **kwargs)
