"""Wires services for the API from settings, once per cold start; tests override with ``reset()``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import Request

from workengine.catalog.loader import TemplateCatalog, find_content_dir, load_catalog_from
from workengine.dal.aws import client
from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.domain.enums import Role
from workengine.domain.errors import UnauthorizedError
from workengine.domain.identity import Identity
from workengine.services.bundle_service import BundleService
from workengine.services.hooks import ServiceHooks
from workengine.services.pagination import PageTokenCodec
from workengine.services.pinned_definitions import PinnedDefinitions
from workengine.services.task_service import TaskService
from workengine.services.template_service import TemplateService
from workengine.settings import InsecureSettingsError, Settings, get_settings

if TYPE_CHECKING:
    # Built on first use: a cold start pays only for the services its first request needs.
    from workengine.services.approval_service import ApprovalService
    from workengine.services.artifact_service import ArtifactService
    from workengine.services.attention_service import AttentionService
    from workengine.services.export_service import ExportService
    from workengine.services.job_service import JobService
    from workengine.services.preference_service import PreferenceService
    from workengine.services.reminder_service import ReminderService
    from workengine.services.schedule_service import ScheduleService
    from workengine.services.task_action_service import TaskActionService
    from workengine.services.task_commit import TaskCommitter

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


@lru_cache(maxsize=1)
def catalog() -> TemplateCatalog:
    settings = get_settings()
    source = find_content_dir(Path(settings.content_path) if settings.content_path else None)
    if source is None:
        raise RuntimeError("no template catalog found: set WORKENGINE_CONTENT_PATH")
    return load_catalog_from(source)


@lru_cache(maxsize=1)
def hooks() -> ServiceHooks:
    from workengine.services.default_hooks import build_hooks

    return build_hooks(get_settings())


@lru_cache(maxsize=1)
def bundle_repository() -> DynamoBundleRepository:
    return DynamoBundleRepository(client("dynamodb"), get_settings().table_name)


def page_tokens(settings: Settings | None = None) -> PageTokenCodec:
    """Raises InsecureSettingsError in a Lambda configured with the development key."""
    return PageTokenCodec((settings or get_settings()).page_token_secret())


def check_cold_start() -> None:
    """In a Lambda, refuse to start with development fallbacks (the init phase fails loudly, instead of
    every request signing page tokens with a public key). Locally nothing is checked."""
    settings = get_settings()
    if settings.in_lambda:
        page_tokens(settings)
        if not settings.export_function_name:
            raise InsecureSettingsError("WORKENGINE_EXPORT_FUNCTION_NAME is not set: exports could not run")


@lru_cache(maxsize=1)
def pinned_definitions() -> PinnedDefinitions:
    """One per container: every service reads bundles' definitions through the same cache."""
    return PinnedDefinitions(catalog(), bundle_repository())


@lru_cache(maxsize=1)
def bundle_service() -> BundleService:
    return BundleService(
        bundle_repository(), catalog(), page_tokens(), hooks=hooks(), definitions=pinned_definitions()
    )


@lru_cache(maxsize=1)
def task_service() -> TaskService:
    return TaskService(
        bundle_repository(), catalog(), page_tokens(), hooks=hooks(), definitions=pinned_definitions()
    )


@lru_cache(maxsize=1)
def approval_service() -> ApprovalService:
    from workengine.services.approval_service import ApprovalService

    return ApprovalService(bundle_repository(), task_committer())


@lru_cache(maxsize=1)
def task_action_service() -> TaskActionService:
    from workengine.services.task_action_service import TaskActionService

    return TaskActionService(bundle_repository(), task_committer(), page_tokens())


@lru_cache(maxsize=1)
def attention_service() -> AttentionService:
    from workengine.dal.attention_reads import DynamoAttentionReader
    from workengine.services.attention_service import AttentionService

    return AttentionService(DynamoAttentionReader(client("dynamodb"), get_settings().table_name))


@lru_cache(maxsize=1)
def task_committer() -> TaskCommitter:
    from workengine.domain.ids import new_id
    from workengine.services.task_commit import TaskCommitter

    return TaskCommitter(bundle_repository(), pinned_definitions(), hooks(), new_id)


@lru_cache(maxsize=1)
def template_service() -> TemplateService:
    return TemplateService(catalog())


@lru_cache(maxsize=1)
def export_service() -> ExportService:
    from workengine.handlers.export_wiring import build_export_service

    return build_export_service(get_settings())


@lru_cache(maxsize=1)
def artifact_service() -> ArtifactService:
    from workengine.handlers.assistant_wiring import build_artifact_service

    return build_artifact_service(get_settings(), bundle_repository())


@lru_cache(maxsize=1)
def job_service() -> JobService:
    from workengine.handlers.assistant_wiring import build_job_service

    return build_job_service(get_settings(), bundle_repository(), catalog(), definitions=pinned_definitions())


@lru_cache(maxsize=1)
def reminder_service() -> ReminderService:
    from workengine.handlers.reminder_wiring import build_reminder_service

    return build_reminder_service(get_settings())


@lru_cache(maxsize=1)
def schedule_service() -> ScheduleService:
    from workengine.handlers.reminder_wiring import build_schedule_service

    return build_schedule_service(get_settings(), bundle_repository(), catalog(), hooks())


@lru_cache(maxsize=1)
def preference_service() -> PreferenceService:
    from workengine.dal.notification_repository import DynamoNotificationRepository
    from workengine.services.bundle_service import utc_now
    from workengine.services.preference_service import PreferenceService

    repository = DynamoNotificationRepository(client("dynamodb"), get_settings().table_name)
    return PreferenceService(repository, utc_now)


def reload_catalog() -> None:
    """Drop the template catalog and every service built on it; the next request loads the content again
    (the local server calls this when files under content/ change)."""
    for cached in (catalog, pinned_definitions, bundle_service, task_service, template_service):
        cached.cache_clear()
    job_service.cache_clear()
    schedule_service.cache_clear()


def reset() -> None:
    """Forget every cached client and service (tests switch backends between cases)."""
    get_settings.cache_clear()
    for cached in (
        catalog,
        hooks,
        bundle_repository,
        pinned_definitions,
        bundle_service,
        task_service,
        template_service,
    ):
        cached.cache_clear()
    approval_service.cache_clear()
    task_action_service.cache_clear()
    attention_service.cache_clear()
    task_committer.cache_clear()
    export_service.cache_clear()
    artifact_service.cache_clear()
    job_service.cache_clear()
    reminder_service.cache_clear()
    preference_service.cache_clear()
    schedule_service.cache_clear()
    from workengine.handlers.api import idempotency

    idempotency.reset()
