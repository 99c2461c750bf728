"""Domain exceptions. Each carries the contract's stable error code; the API maps them once."""

from __future__ import annotations

from typing import Any, ClassVar


class WorkEngineError(Exception):
    """Base of every error the API turns into the contract's error body."""

    code: ClassVar[str] = "INTERNAL_ERROR"
    status: ClassVar[int] = 500

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}


class ValidationFailedError(WorkEngineError):
    code = "VALIDATION_ERROR"
    status = 422


class NotFoundError(WorkEngineError):
    """Unknown ID, or an ID of another tenant (never distinguished)."""

    code = "NOT_FOUND"
    status = 404

    def __init__(self, entity: str, entity_id: str) -> None:
        super().__init__(f"{entity} {entity_id!r} was not found", {"entity": entity, "id": entity_id})


class TemplateNotFoundError(WorkEngineError):
    code = "TEMPLATE_NOT_FOUND"
    status = 404

    def __init__(self, template_id: str) -> None:
        super().__init__(f"template {template_id!r} was not found", {"template_id": template_id})


class UnauthorizedError(WorkEngineError):
    code = "UNAUTHORIZED"
    status = 401


class ForbiddenError(WorkEngineError):
    code = "FORBIDDEN"
    status = 403


class VersionConflictError(WorkEngineError):
    """A conditional write lost: ``details.current`` holds the item as it is now (when known)."""

    code = "VERSION_CONFLICT"
    status = 409


class IdempotencyConflictError(WorkEngineError):
    code = "IDEMPOTENCY_CONFLICT"
    status = 409


class MissingProofError(WorkEngineError):
    code = "MISSING_PROOF"
    status = 422

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            f"the task cannot be done while required proof is missing: {', '.join(missing)}",
            {"missing": missing},
        )


class MissingFieldsError(WorkEngineError):
    code = "MISSING_FIELDS"
    status = 422

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            f"the task cannot be done while required fields are empty: {', '.join(missing)}",
            {"missing": missing},
        )


class InvalidTransitionError(WorkEngineError):
    code = "INVALID_TRANSITION"
    status = 422


class ServiceUnavailableError(WorkEngineError):
    """A dependency (DynamoDB throttling, S3, EventBridge) failed; the request wrote nothing."""

    code = "SERVICE_UNAVAILABLE"
    status = 503


class NotAnApproverError(WorkEngineError):
    code = "NOT_AN_APPROVER"
    status = 403


class SelfApprovalError(WorkEngineError):
    code = "SELF_APPROVAL"
    status = 403


class AlreadyDecidedError(WorkEngineError):
    code = "ALREADY_DECIDED"
    status = 409


class BundleClosedError(WorkEngineError):
    """A write to a cancelled or archived bundle, or to its tasks, comments, artifacts or jobs; only an
    admin's status change that reopens the bundle is allowed."""

    code = "BUNDLE_CLOSED"
    status = 409

    def __init__(self, bundle_id: str, bundle_status: str) -> None:
        super().__init__(
            f"bundle {bundle_id!r} is {bundle_status} and read-only; an admin can reopen it",
            {"bundle_id": bundle_id, "bundle_status": bundle_status},
        )


class UnsupportedMediaTypeError(WorkEngineError):
    """A request body sent with a content type other than ``application/json``."""

    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415


class PayloadTooLargeError(WorkEngineError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413
