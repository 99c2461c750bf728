"""What the API's routes take per request: the caller's identity, and thin accessors to the collaborators
of the composition root (``workengine.composition``), which builds each on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import Request

from workengine.composition import container, reload_catalog, reset
from workengine.domain.enums import Role
from workengine.domain.errors import UnauthorizedError
from workengine.domain.identity import Identity
from workengine.settings import InsecureSettingsError, Settings

if TYPE_CHECKING:
    from workengine.catalog.loader import TemplateCatalog
    from workengine.dal.bundle_repository import DynamoBundleRepository
    from workengine.services.approval_service import ApprovalService
    from workengine.services.artifact_service import ArtifactService
    from workengine.services.attention_service import AttentionService
    from workengine.services.bundle_service import BundleService
    from workengine.services.drift_service import DriftService
    from workengine.services.event_trigger_service import EventTriggerService
    from workengine.services.export_service import ExportService
    from workengine.services.job_requests import JobRequestService
    from workengine.services.pagination import PageTokenCodec
    from workengine.services.pinned_definitions import PinnedDefinitions
    from workengine.services.preference_service import PreferenceService
    from workengine.services.reminder_service import ReminderService
    from workengine.services.schedule_service import ScheduleService
    from workengine.services.showcases.service import ShowcaseService
    from workengine.services.task_action_service import TaskActionService
    from workengine.services.task_commit import TaskCommitter
    from workengine.services.task_service import TaskService
    from workengine.services.template_service import TemplateService
    from workengine.services.template_stats_service import TemplateStatsService

__all__ = ["check_cold_start", "current_identity", "reload_catalog", "reset"]

CLAIM_TENANT = "custom:tenant_id"
CLAIM_ROLE = "custom:role"


def current_identity(request: Request) -> Identity:
    """The caller, from the JWT authorizer's verified claims only (HTTP API payload v2).

    Raises UnauthorizedError when the claims are missing or incomplete.
    """
    claims = request.resolved_event.raw_event.get("requestContext", {}).get("authorizer", {}).get("jwt", {})
    values = claims.get("claims") or {}
    user, tenant, role = values.get("sub"), values.get(CLAIM_TENANT), values.get(CLAIM_ROLE)
    if not (isinstance(user, str) and user and isinstance(tenant, str) and tenant):
        raise UnauthorizedError("a valid bearer token is required")
    try:
        parsed_role = Role(str(role))
    except ValueError as exc:
        raise UnauthorizedError("the token carries no valid role") from exc
    return Identity(tenant_id=tenant, user_id=user, role=parsed_role)


def page_tokens(settings: Settings | None = None) -> PageTokenCodec:
    """Raises InsecureSettingsError in a Lambda configured with the development key."""
    from workengine.services.pagination import PageTokenCodec

    return PageTokenCodec((settings or container().settings).page_token_secret())


def check_cold_start() -> None:
    """In a Lambda, refuse to start with development fallbacks (the init phase fails loudly, instead of
    every request signing page tokens with a public key). Locally nothing is checked."""
    settings = container().settings
    if settings.in_lambda:
        settings.page_token_secret()
        if not settings.export_function_name:
            raise InsecureSettingsError("WORKENGINE_EXPORT_FUNCTION_NAME is not set: exports could not run")


# -- thin accessors: the routes' collaborators, from the composition root --


def catalog() -> TemplateCatalog:
    return container().catalog


def bundle_repository() -> DynamoBundleRepository:
    return container().bundle_repository


def pinned_definitions() -> PinnedDefinitions:
    return container().pinned_definitions


def bundle_service() -> BundleService:
    return container().bundle_service


def task_service() -> TaskService:
    return container().task_service


def approval_service() -> ApprovalService:
    return container().approval_service


def task_action_service() -> TaskActionService:
    return container().task_action_service


def attention_service() -> AttentionService:
    return container().attention_service


def task_committer() -> TaskCommitter:
    return container().task_committer


def template_service() -> TemplateService:
    return container().template_service


def export_service() -> ExportService:
    return container().export_service


def artifact_service() -> ArtifactService:
    return container().artifact_service


def job_requests() -> JobRequestService:
    return container().job_requests


def reminder_service() -> ReminderService:
    return container().reminder_service


def schedule_service() -> ScheduleService:
    return container().schedule_service


def preference_service() -> PreferenceService:
    return container().preference_service


def event_trigger_service() -> EventTriggerService:
    return container().event_trigger_service


def template_stats_service() -> TemplateStatsService:
    return container().template_stats_service


def drift_service() -> DriftService:
    return container().drift_service


def showcase_service() -> ShowcaseService:
    return container().showcase_service
