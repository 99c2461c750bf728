"""The OpenAPI document describes every route fully: ID, tag, description, security, typed success and
every error status with the shared Error schema. Routes added later fail here until they comply."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.documented import undocumented_answer
from workengine.handlers.api.api_document import PUBLIC_PATHS, describe, error_statuses
from workengine.handlers.api.app import app
from workengine.handlers.api.route_errors import ROUTE_ERRORS

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
REF = "#/components/schemas/"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return json.loads(app.get_openapi_json_schema())


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op) for path, ops in document["paths"].items() for method, op in ops.items()
    ]


def test_every_operation_has_a_short_unique_id_one_tag_and_a_description(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    for method, path, op in operations(document):
        assert SNAKE.match(op["operationId"]) and len(op["operationId"]) <= 30, (method, path)
        assert len(op["tags"]) == 1 and op["tags"][0] != "default", (method, path)
        assert op.get("summary") and len(op.get("description", "")) > 20, (method, path)
    assert {"create_bundle", "list_tasks", "patch_task", "get_template"} <= set(ids)
    assert {tag["name"] for tag in document["tags"]} >= {"bundles", "tasks", "templates", "artifacts"}
    assert all(tag.get("description") for tag in document["tags"])


def test_bearer_jwt_is_applied_to_every_route_but_the_public_ones(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert "workengine token" in scheme["description"]
    for method, path, op in operations(document):
        expected = [] if path in PUBLIC_PATHS else [{"bearerAuth": []}]
        assert op["security"] == expected, (method, path)
    assert "/health" in document["paths"]


def test_every_success_answer_is_a_typed_model(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for method, path, op in operations(document):
        success = [code for code in op["responses"] if int(code) < 400]
        assert len(success) == 1, (method, path, success)
        schema = op["responses"][success[0]]["content"]["application/json"]["schema"]
        name = schema["$ref"].removeprefix(REF)
        assert schemas[name].get("properties"), (method, path, name)
    created = {(m, p): next(iter(op["responses"])) for m, p, op in operations(document)}
    assert created[("POST", "/bundles")] == "201"
    assert created[("POST", "/tasks/{task_id}/comments")] == "201"
    assert created[("POST", "/exports")] == "202"


def test_every_error_status_uses_the_shared_error_schema_with_that_routes_codes(
    document: dict[str, Any],
) -> None:
    statuses = error_statuses()
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, op in operations(document):
        listed: list[str] = []
        for status, answer in op["responses"].items():
            if int(status) < 400:
                continue
            schema = answer["content"]["application/json"]["schema"]
            assert schema["allOf"] == [{"$ref": f"{REF}Error"}], (method, path, status)
            codes = schema["properties"]["error"]["properties"]["code"]["enum"]
            assert codes and all(statuses[code] == int(status) for code in codes), (method, path, status)
            listed += codes
        assert sorted(listed) == op["x-error-codes"]
        if path in PUBLIC_PATHS:
            continue
        assert {"401", "503"} <= set(op["responses"]), (method, path)
        if "{" in path:
            assert "404" in op["responses"], (method, path)
        if op.get("parameters") or "requestBody" in op:
            assert "422" in op["responses"], (method, path)
        if "requestBody" in op:
            assert "413" in op["responses"], (method, path)
        if method != "GET":
            assert "403" in op["responses"], (method, path)
    by_route = {f"{m} {p}": op["x-error-codes"] for m, p, op in operations(document)}
    assert {"IDEMPOTENCY_CONFLICT", "TEMPLATE_NOT_FOUND"} <= set(by_route["POST /bundles"])
    assert {"MISSING_PROOF", "VERSION_CONFLICT"} <= set(by_route["PATCH /tasks/{task_id}"])


def test_every_property_and_enum_is_described_and_closed_values_are_enums(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    bare = [
        f"{name}.{prop}"
        for name, schema in schemas.items()
        for prop, spec in schema.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert bare == []
    assert schemas["CreateJobBody"]["properties"]["kind"]["$ref"] == f"{REF}JobKind"
    assert set(schemas["JobKind"]["enum"]) == {"task_step", "summarize_bundle"}


def test_route_errors_names_only_existing_routes_and_known_codes(document: dict[str, Any]) -> None:
    routes = {f"{m} {p}" for m, p, _ in operations(document)}
    assert set(ROUTE_ERRORS) == routes
    assert {code for codes in ROUTE_ERRORS.values() for code in codes} <= set(error_statuses())


@dataclass
class FakeRoute:
    method: str
    openapi_path: str
    func: Any
    include_in_schema: bool = True


def undocumented_route() -> None:
    pass


def test_a_route_without_registry_entry_or_docstring_cannot_enter_the_document() -> None:
    generated = {"paths": {"/widgets": {"get": {"responses": {"200": {}}}}}, "components": {"schemas": {}}}
    with pytest.raises(LookupError, match="docstring"):
        describe(json.loads(json.dumps(generated)), [FakeRoute("GET", "/widgets", undocumented_route)])

    def list_widgets() -> None:
        """Widgets of the tenant, described well enough."""

    with pytest.raises(LookupError, match="ROUTE_ERRORS"):
        describe(json.loads(json.dumps(generated)), [FakeRoute("GET", "/widgets", list_widgets)])


def test_an_answer_outside_the_document_is_reported() -> None:
    conflict = {"error": {"code": "VERSION_CONFLICT", "message": "m", "details": {}}}
    assert undocumented_answer("PATCH", "/tasks/t_1", 409, conflict) is None
    idempotency = {"error": {"code": "IDEMPOTENCY_CONFLICT", "message": "m", "details": {}}}
    assert "ROUTE_ERRORS" in str(undocumented_answer("PATCH", "/tasks/t_1", 409, idempotency))
    assert "500" in str(undocumented_answer("GET", "/tasks/t_1", 500, {"error": {"code": "INTERNAL_ERROR"}}))
    assert undocumented_answer("GET", "/no/such/route", 404, {}) is None
