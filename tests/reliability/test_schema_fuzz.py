"""Schemathesis against the local server's ``/openapi.json`` with valid tokens.

Positive mode (valid requests): no 5xx, every status documented, every response conforms to the
documented schema (error codes included), every 4xx carries the contract's error body.
Negative mode (wrong types, missing required members, out-of-range values): no 5xx and every 4xx carries
the contract's error body; a few examples per operation keep it bounded."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.integration.test_bundles_api import create
from tests.reliability.conftest import LocalServer
from tests.support.api import ApiClient

EXAMPLES_PER_OPERATION = 25
NEGATIVE_EXAMPLES_PER_OPERATION = 8
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


def fuzz_every_operation(
    local_server: LocalServer,
    api: ApiClient,
    mode: GenerationMode,
    max_examples: int,
    checks: list[Any],
) -> tuple[dict[str, int], dict[str, str]]:
    """Each operation of the published schema gets ``max_examples`` generated requests in ``mode``; the
    calls made per operation and the failure (if any) per operation."""
    create(api)
    schema = schemathesis.openapi.from_url(f"{local_server.base_url}/openapi.json")
    headers = local_server.bearer(tenant_id="acme", user_id="mia", role="member")
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: dict[str, str] = {}
    calls: dict[str, int] = {}

    def run_operation(operation: Any, label: str) -> None:
        @settings(
            max_examples=max_examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def exercise(case: Any) -> None:
            calls[label] += 1
            case.call_and_validate(
                base_url=local_server.base_url,
                headers=headers,
                checks=checks,
                additional_checks=[contract_error_body],
                timeout=30,
            )

        exercise()

    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        calls[label] = 0
        try:
            run_operation(operation, label)
        except Unsatisfiable:  # nothing to break (no parameters, no body): no negative case exists
            del calls[label]
        except Exception as exc:  # collect every operation's failure, then report them together
            failures[label] = f"{type(exc).__name__}: {str(exc)[:1500]}"
    return calls, failures


@pytest.mark.slow
def test_every_documented_operation_survives_generated_requests(
    local_server: LocalServer, api: ApiClient
) -> None:
    # Given: a bundle to find, and the schema the server publishes
    # When: each operation gets a bounded number of generated requests
    calls, failures = fuzz_every_operation(
        local_server,
        api,
        GenerationMode.POSITIVE,
        EXAMPLES_PER_OPERATION,
        [not_a_server_error, response_schema_conformance, status_code_conformance],
    )

    # Then
    assert {"GET /bundles", "POST /bundles", "PATCH /tasks/{task_id}"} <= set(calls)
    assert all(n > 0 for n in calls.values()), (calls, failures)
    assert failures == {}, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())


@pytest.mark.slow
def test_every_operation_answers_malformed_requests_with_a_contract_4xx(
    local_server: LocalServer, api: ApiClient
) -> None:
    # Given: a bundle to find, and the schema the server publishes
    # When: each operation gets a few requests that break its schema (wrong types, missing required
    # members, values out of range)
    calls, failures = fuzz_every_operation(
        local_server, api, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES_PER_OPERATION, [not_a_server_error]
    )

    # Then: never a 5xx, and every 4xx is the contract's error body
    assert {"POST /events", "PUT /me/preferences", "POST /tasks/{task_id}/actions"} <= set(calls)
    assert failures == {}, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
