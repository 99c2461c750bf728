"""What each route can answer beyond what its shape implies (see ``api_document.shape_errors``).

One line per route, keyed ``"METHOD /openapi/path"``. A new route must be added here: the OpenAPI
document refuses to build without it, and the test client (``tests/support/api.py``) fails any test
whose response carries an error code the document does not list for that route.
"""

from __future__ import annotations

# Errors answered before any route runs: the Lambda entry point refuses oversized bodies and bodies that
# are not declared JSON (``handlers/api/request_gate.py``).
TRANSPORT_ERRORS: dict[str, int] = {"PAYLOAD_TOO_LARGE": 413, "UNSUPPORTED_MEDIA_TYPE": 415}

ROUTE_ERRORS: dict[str, tuple[str, ...]] = {
    "GET /health": (),
    "GET /templates": (),
    "GET /templates/{template_id}": ("TEMPLATE_NOT_FOUND",),
    "GET /templates/{template_id}/stats": ("TEMPLATE_NOT_FOUND",),
    "GET /templates/{template_id}/drift": ("TEMPLATE_NOT_FOUND",),
    "POST /bundles": ("TEMPLATE_NOT_FOUND", "IDEMPOTENCY_CONFLICT"),
    "GET /bundles": (),
    "GET /bundles/{bundle_id}": (),
    "PATCH /bundles/{bundle_id}": ("VERSION_CONFLICT", "INVALID_TRANSITION", "BUNDLE_CLOSED"),
    "GET /bundles/{bundle_id}/template": (),
    "GET /bundles/{bundle_id}/events": (),
    "GET /tasks": (),
    "GET /tasks/{task_id}": (),
    "PATCH /tasks/{task_id}": (
        "VERSION_CONFLICT",
        "MISSING_PROOF",
        "MISSING_FIELDS",
        "INVALID_TRANSITION",
        "BUNDLE_CLOSED",
    ),
    "POST /tasks/{task_id}/comments": ("VERSION_CONFLICT", "INVALID_TRANSITION", "BUNDLE_CLOSED"),
    "GET /tasks/{task_id}/comments": (),
    "POST /tasks/{task_id}/approvals": (
        "NOT_AN_APPROVER",
        "SELF_APPROVAL",
        "ALREADY_DECIDED",
        "INVALID_TRANSITION",
        "VERSION_CONFLICT",
        "BUNDLE_CLOSED",
    ),
    "POST /tasks/{task_id}/actions": ("INVALID_TRANSITION", "VERSION_CONFLICT", "BUNDLE_CLOSED"),
    "POST /bundles/{bundle_id}/artifacts": ("INVALID_TRANSITION", "BUNDLE_CLOSED"),
    "GET /artifacts/{artifact_id}": (),
    "POST /assistant-jobs": ("NOT_FOUND", "INVALID_TRANSITION", "BUNDLE_CLOSED"),
    "GET /assistant-jobs/{job_id}": (),
    "POST /assistant-jobs/{job_id}/cancel": ("INVALID_TRANSITION", "VERSION_CONFLICT"),
    "GET /reminders": ("FORBIDDEN",),
    "GET /attention": ("FORBIDDEN",),
    "PATCH /reminders/{reminder_id}": ("VERSION_CONFLICT",),
    "GET /me/preferences": (),
    "PUT /me/preferences": ("VERSION_CONFLICT",),
    "GET /schedules": (),
    "PUT /schedules/{template_id}": ("TEMPLATE_NOT_FOUND", "VERSION_CONFLICT"),
    "POST /events": (),
    "POST /exports": (),
    "GET /exports/{export_id}": ("FORBIDDEN",),
    "POST /showcases/{name}": ("NOT_FOUND",),
}
