"""The OpenAPI document, described once for every route instead of route by route.

Powertools generates paths and models from the routes; ``describe`` then adds what it cannot know:
- operation ID = the route function's name, tag = its router module, description = its docstring;
- every error status the route can answer, each with the shared ``Error`` schema (the contract's body)
  and ``code`` narrowed to the codes of that route: codes every route of its shape can give (see
  ``shape_errors``) plus the route's own codes from ``ROUTE_ERRORS``;
- the bearer JWT security scheme on every route except ``PUBLIC_PATHS``;
- a description on every property that has none, from ``FIELD_GLOSSARY``.

A route missing from ``ROUTE_ERRORS`` or without a docstring is an error here, so routes added later
cannot slip into the document undescribed.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from workengine.domain.errors import WorkEngineError
from workengine.handlers.api.field_glossary import FIELD_GLOSSARY
from workengine.handlers.api.public_routes import PUBLIC_PATHS
from workengine.handlers.api.route_errors import ROUTE_ERRORS, TRANSPORT_ERRORS

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

SECURITY_SCHEME = "bearerAuth"
REF = "#/components/schemas/"
TAG_DESCRIPTIONS = {
    "health": "Liveness of the API (no authentication).",
    "templates": "Git-backed workflow templates (read-only).",
    "bundles": "Bundles: runs of a template, with their tasks and audit trail.",
    "tasks": "Tasks of bundles: status, assignee, dates, proof and comments.",
    "approvals": "Approval steps: approvers' decisions, rework rounds.",
    "task-actions": "Snooze, escalate, reassign or skip a task.",
    "artifacts": "Files attached to a bundle, uploaded and downloaded through presigned S3 URLs.",
    "assistant-jobs": "Assistant jobs: prompts run by a model provider, output checked against a schema.",
    "reminders": "Reminders the sweep and task changes create.",
    "schedules": "Recurring workflows: a template's schedule trigger enabled per tenant.",
    "events": "Events that start bundles of templates with an event trigger (the HTTP door).",
    "exports": "Portable exports of a tenant (admin).",
}
STATUS_DESCRIPTIONS = {
    401: "Missing or invalid bearer token.",
    403: "The caller's role (or relation to the item) does not allow this.",
    404: "No such item in the caller's tenant.",
    409: "A conflicting write: stale expected_version, a reused Idempotency-Key, or a closed item.",
    413: "The request body is too large.",
    415: "The request body is not application/json.",
    422: "The request is not valid, or breaks a rule of the workflow.",
    503: "A dependency is unavailable; nothing was written, retry later.",
}


class DescribedRoute(Protocol):
    """The parts of a Powertools ``Route`` the description reads."""

    method: str
    openapi_path: str
    include_in_schema: bool

    @property
    def func(self) -> Any: ...


def error_statuses() -> dict[str, int]:
    """Every error code the API can answer, with its HTTP status (domain errors + transport errors)."""
    found: dict[str, int] = dict(TRANSPORT_ERRORS)
    pending: list[type[WorkEngineError]] = [WorkEngineError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.status < 500 or cls.status == 503:
            found.setdefault(cls.code, cls.status)
    return found


def route_key(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


def shape_errors(method: str, path: str, operation: dict[str, Any]) -> set[str]:
    """Codes any route of this shape can give: auth and dependencies, role, validation, body size, IDs."""
    if path in PUBLIC_PATHS:
        return set()
    codes = {"UNAUTHORIZED", "SERVICE_UNAVAILABLE"}
    has_body = "requestBody" in operation
    if method.upper() != "GET":
        codes.add("FORBIDDEN")
    if has_body or operation.get("parameters"):
        codes.add("VALIDATION_ERROR")
    if has_body:
        codes.update(code for code, status in TRANSPORT_ERRORS.items() if status in (413, 415))
    if any(param.get("in") == "path" for param in operation.get("parameters", [])):
        codes.add("NOT_FOUND")
    return codes


def error_schemas(statuses: dict[str, int]) -> dict[str, Any]:
    return {
        "ErrorCode": {
            "type": "string",
            "enum": sorted(statuses),
            "description": "Stable, machine-readable error code (UPPER_SNAKE); each operation lists its own.",
        },
        "ErrorDetail": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"$ref": f"{REF}ErrorCode", "description": "What went wrong, as a stable code."},
                "message": {"type": "string", "description": "A human-readable sentence."},
                "details": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Machine-readable context: e.g. field, missing, current, errors.",
                },
            },
            "description": "The error: code, message and details.",
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"$ref": f"{REF}ErrorDetail", "description": "The error."}},
            "description": 'The body of every 4xx/5xx answer: {"error": {"code", "message", "details"}}.',
        },
    }


def error_response(status: int, codes: list[str]) -> dict[str, Any]:
    schema = {
        "allOf": [{"$ref": f"{REF}Error"}],
        "properties": {"error": {"properties": {"code": {"enum": codes}}}},
    }
    listed = ", ".join(f"`{code}`" for code in codes)
    return {
        "description": f"{STATUS_DESCRIPTIONS.get(status, 'Error.')} Codes: {listed}.",
        "content": {"application/json": {"schema": schema}},
    }


def operation_errors(method: str, path: str, operation: dict[str, Any], statuses: dict[str, int]) -> set[str]:
    key = route_key(method, path)
    if key not in ROUTE_ERRORS:
        raise LookupError(f"{key}: add its error codes to ROUTE_ERRORS in handlers/api/route_errors.py")
    declared = set(ROUTE_ERRORS[key])
    unknown = declared - set(statuses)
    if unknown:
        raise LookupError(f"{key}: unknown error codes {sorted(unknown)} in ROUTE_ERRORS")
    return declared | shape_errors(method, path, operation)


def describe_operation(route: DescribedRoute, operation: dict[str, Any], statuses: dict[str, int]) -> None:
    path, method = route.openapi_path, route.method.upper()
    operation["operationId"] = route.func.__name__
    operation["tags"] = [route.func.__module__.rsplit(".", 1)[-1].replace("_", "-")]
    doc = inspect.getdoc(route.func)
    if not doc:
        raise LookupError(
            f"{route_key(method, path)}: the route function needs a docstring (its description)"
        )
    operation["description"] = doc
    operation["security"] = [] if path in PUBLIC_PATHS else [{SECURITY_SCHEME: []}]
    responses: dict[str, Any] = {
        code: answer for code, answer in operation.get("responses", {}).items() if int(code) < 400
    }
    by_status: dict[int, list[str]] = {}
    for code in sorted(operation_errors(method, path, operation, statuses)):
        by_status.setdefault(statuses[code], []).append(code)
    for status in sorted(by_status):
        responses[str(status)] = error_response(status, by_status[status])
    operation["responses"] = responses
    operation["x-error-codes"] = sorted(code for codes in by_status.values() for code in codes)


def describe_properties(schemas: dict[str, Any]) -> None:
    for schema in schemas.values():
        for name, prop in schema.get("properties", {}).items():
            if not prop.get("description") and name in FIELD_GLOSSARY:
                prop["description"] = FIELD_GLOSSARY[name]


def drop_unused_schemas(schemas: dict[str, Any]) -> None:
    """Powertools' own 422 models are replaced by ``Error`` on every operation."""
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(name, None)


def describe(document: dict[str, Any], routes: Iterable[DescribedRoute]) -> dict[str, Any]:
    """Adds IDs, tags, descriptions, error responses and security to Powertools' generated document."""
    statuses = error_statuses()
    paths = document.get("paths", {})
    for route in routes:
        operation = paths.get(route.openapi_path, {}).get(route.method.lower())
        if route.include_in_schema and operation is not None:
            describe_operation(route, operation, statuses)
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(error_schemas(statuses))
    describe_properties(schemas)
    drop_unused_schemas(schemas)
    components["securitySchemes"] = {
        SECURITY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "A JWT with claims sub, custom:tenant_id and custom:role. In AWS: a Cognito ID token; "
                "locally: `workengine token --tenant T --user U --role member`."
            ),
        }
    }
    used = {tag for ops in paths.values() for op in ops.values() for tag in op.get("tags", [])}
    document["tags"] = [{"name": tag, "description": TAG_DESCRIPTIONS.get(tag, tag)} for tag in sorted(used)]
    return document


class DescribedResolver(APIGatewayHttpResolver):
    """The API's resolver: its OpenAPI document (``/openapi.json`` and Swagger UI) is ``describe``d."""

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPI:  # type: ignore[override]
        from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

        generated = super().get_openapi_schema(**kwargs)
        document = generated.model_dump(by_alias=True, exclude_none=True, mode="json")
        routes: list[Any] = [*self._static_routes, *self._dynamic_routes]
        return OpenAPI.model_validate(describe(document, routes))
