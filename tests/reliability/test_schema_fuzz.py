"""Schemathesis against the local server's ``/openapi.json`` with valid tokens: no 5xx, every status
documented, every response conforms to the documented schema (error codes included), every 4xx carries
the contract's error body."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.integration.test_bundles_api import create
from tests.reliability.conftest import LocalServer
from tests.support.api import ApiClient

EXAMPLES_PER_OPERATION = 25
ERROR_CODE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")


def contract_error_body(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx: ``{"error": {"code": UPPER_SNAKE, "message": str, "details": object}}``."""
    if response.status_code < 400:
        return None
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"not the contract error body: {body!r}"
    error = body["error"]
    assert isinstance(error, dict), body
    assert isinstance(error.get("code"), str) and ERROR_CODE.match(error["code"]), body
    assert isinstance(error.get("message"), str) and error["message"], body
    assert isinstance(error.get("details"), dict), body
    return True


@pytest.mark.slow
def test_every_documented_operation_survives_generated_requests(
    local_server: LocalServer, api: ApiClient
) -> None:
    # Given: a bundle to find, and the schema the server publishes
    create(api)
    schema = schemathesis.openapi.from_url(f"{local_server.base_url}/openapi.json")
    headers = local_server.bearer(tenant_id="acme", user_id="mia", role="member")
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: dict[str, str] = {}
    calls: dict[str, int] = {}

    def run_operation(operation: Any, label: str) -> None:
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def exercise(case: Any) -> None:
            calls[label] += 1
            case.call_and_validate(
                base_url=local_server.base_url,
                headers=headers,
                checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
                additional_checks=[contract_error_body],
                timeout=30,
            )

        exercise()

    # When: each operation gets a bounded number of generated requests
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        calls[label] = 0
        try:
            run_operation(operation, label)
        except Exception as exc:  # collect every operation's failure, then report them together
            failures[label] = f"{type(exc).__name__}: {str(exc)[:1500]}"

    # Then
    assert {"GET /bundles", "POST /bundles", "PATCH /tasks/{task_id}"} <= set(calls)
    assert all(n > 0 for n in calls.values()), (calls, failures)
    assert failures == {}, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
