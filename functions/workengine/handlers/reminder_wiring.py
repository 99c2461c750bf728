"""Builds the reminder, schedule and sweep services from settings (shared by the API and the sweep)."""

from __future__ import annotations

from datetime import timedelta

from workengine.catalog.loader import TemplateCatalog
from workengine.dal.artifact_repository import DynamoArtifactRepository
from workengine.dal.aws import client
from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.dal.reminder_repository import DynamoReminderRepository
from workengine.dal.sweep_queue import SqsSweepQueue
from workengine.services.condition_sweep import ConditionSweep
from workengine.services.hooks import NO_HOOKS, ServiceHooks
from workengine.services.pagination import PageTokenCodec
from workengine.services.pinned_definitions import PinnedDefinitions
from workengine.services.reminder_publisher import ReminderPublisher
from workengine.services.reminder_service import ReminderService
from workengine.services.schedule_service import ScheduleService
from workengine.services.sweep_service import SweepService
from workengine.services.sweep_work import SweepHandover
from workengine.services.upload_expiry import UploadExpiryService
from workengine.settings import Settings


def build_reminder_repository(settings: Settings) -> DynamoReminderRepository:
    return DynamoReminderRepository(client("dynamodb"), settings.table_name)


def build_reminder_service(settings: Settings) -> ReminderService:
    return ReminderService(build_reminder_repository(settings), PageTokenCodec(settings.pagination_secret))


def build_schedule_service(
    settings: Settings,
    bundles: DynamoBundleRepository,
    catalog: TemplateCatalog,
    hooks: ServiceHooks = NO_HOOKS,
) -> ScheduleService:
    return ScheduleService(
        build_reminder_repository(settings),
        bundles,
        catalog,
        PageTokenCodec(settings.pagination_secret),
        hooks=hooks,
    )


def build_condition_sweep(settings: Settings, catalog: TemplateCatalog) -> ConditionSweep:
    bundles = DynamoBundleRepository(client("dynamodb"), settings.table_name)
    return ConditionSweep(bundles, PinnedDefinitions(catalog, bundles))


def build_upload_expiry(settings: Settings) -> UploadExpiryService:
    return UploadExpiryService(
        DynamoArtifactRepository(client("dynamodb"), settings.table_name),
        upload_url_ttl=timedelta(seconds=settings.upload_url_ttl_seconds),
        margin=timedelta(seconds=settings.upload_expiry_margin_seconds),
        page_size=settings.sweep_page_size,
    )


def build_sweep_service(
    settings: Settings, catalog: TemplateCatalog, handover: SweepHandover | None = None
) -> SweepService:
    """The sweep; with ``sweep_queue_url`` set (or a ``handover`` given) it fans shards out and hands
    remainders on, else one process sweeps every shard."""
    from workengine.domain.ids import new_id
    from workengine.services.default_hooks import build_hooks
    from workengine.services.task_action_sweep import TaskActionSweep

    bundles = DynamoBundleRepository(client("dynamodb"), settings.table_name)
    if handover is None and settings.sweep_queue_url:
        handover = SqsSweepQueue(client("sqs"), settings.sweep_queue_url)
    return SweepService(
        build_reminder_repository(settings),
        ReminderPublisher(
            client("events"), settings.event_bus_name, max_attempts=settings.publish_max_attempts
        ),
        build_schedule_service(settings, bundles, catalog, build_hooks(settings)),
        visitors=[TaskActionSweep(bundles, new_id)],
        uploads=build_upload_expiry(settings),
        handover=handover,
        page_size=settings.sweep_page_size,
    )
