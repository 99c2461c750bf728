"""The API Lambda: one resolver, one router per resource, errors mapped once to the contract's body."""

from __future__ import annotations

import json
import threading
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from workengine.domain.errors import WorkEngineError
from workengine.handlers.api import dependencies
from workengine.handlers.api.api_document import DescribedResolver
from workengine.handlers.api.request_gate import request_problem
from workengine.handlers.api.route_groups import RouteGroups, document_position
from workengine.observability import logger, metrics

API_TITLE = "work engine API"
API_VERSION = "1.0.0"

SWAGGER_PATH = "/docs"


class ApiResolver(DescribedResolver):
    """The resolver of route groups loaded on first use; its OpenAPI document loads them all first."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        routes.load_all()
        with routes.lock:  # matching never depends on this order: no two routes match one path
            self._static_routes = sorted(self._static_routes, key=document_position)
            self._dynamic_routes = sorted(self._dynamic_routes, key=document_position)
        return super().get_openapi_schema(**kwargs)


dependencies.check_cold_start()
app = ApiResolver(enable_validation=True)
app.configure_openapi(
    title=API_TITLE,
    version=API_VERSION,
    description=(
        "Runs repeatable business workflows as tracked work: bundles of tasks with owners, due dates, "
        "proof, reminders and an audit trail. Authenticate with a bearer JWT (locally: "
        '`workengine token`). Every error answers {"error": {"code", "message", "details"}}. '
        "Reference: docs/api.md."
    ),
)
routes = RouteGroups(app.include_router)
_swagger_lock = threading.Lock()
_swagger_enabled = False


def enable_swagger() -> None:
    """Swagger UI at ``/docs``, registered by its first request (it imports the OpenAPI models)."""
    global _swagger_enabled
    with _swagger_lock:
        if not _swagger_enabled:
            app.enable_swagger(path=SWAGGER_PATH, title=API_TITLE, version=API_VERSION)
            _swagger_enabled = True


def load_routes(path: str) -> None:
    """Before resolving: the routers that can answer ``path``."""
    if path == SWAGGER_PATH:
        enable_swagger()
    else:
        routes.load_for(path)


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"code": code, "message": message, "details": details or {}}},
    )


@app.exception_handler(WorkEngineError)
def handle_domain_error(exc: WorkEngineError) -> Response[Any]:
    if exc.status >= 500:
        logger.warning("request failed on a dependency", extra={"code": exc.code, "details": exc.details})
    return error_response(exc.status, exc.code, exc.message, exc.details)


@app.exception_handler(RequestValidationError)
def handle_validation_error(exc: RequestValidationError) -> Response[Any]:
    errors = [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "message": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]
    return error_response(422, "VALIDATION_ERROR", "the request is not valid", {"errors": errors})


@app.not_found
def handle_not_found(exc: Exception) -> Response[Any]:
    return error_response(404, "NOT_FOUND", "no such route", {"path": app.current_event.path})


@app.exception_handler(Exception)
def handle_unexpected(exc: Exception) -> Response[Any]:
    logger.exception("unhandled error")
    return error_response(500, "INTERNAL_ERROR", "the server failed to handle the request")


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=app.get_openapi_json_schema(),
    )


def refused(exc: WorkEngineError) -> dict[str, Any]:
    """A refusal answered before the resolver parses or validates anything."""
    return {
        "statusCode": exc.status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps({"error": {"code": exc.code, "message": exc.message, "details": exc.details}}),
        "isBase64Encoded": False,
    }


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    problem = request_problem(event)
    if problem is not None:
        return refused(problem)
    load_routes(str(event.get("rawPath") or ""))
    return app.resolve(event, context)
