"""Builds the reminder, schedule and sweep services from settings (shared by the API and the sweep)."""

from __future__ import annotations

from workengine.catalog.loader import TemplateCatalog
from workengine.dal.aws import client
from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.dal.reminder_repository import DynamoReminderRepository
from workengine.services.condition_sweep import ConditionSweep
from workengine.services.hooks import NO_HOOKS, ServiceHooks
from workengine.services.pagination import PageTokenCodec
from workengine.services.pinned_definitions import PinnedDefinitions
from workengine.services.reminder_publisher import ReminderPublisher
from workengine.services.reminder_service import ReminderService
from workengine.services.schedule_service import ScheduleService
from workengine.services.sweep_service import SweepService
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


def build_sweep_service(settings: Settings, catalog: TemplateCatalog) -> SweepService:
    from workengine.domain.ids import new_id
    from workengine.services.default_hooks import build_hooks
    from workengine.services.task_action_sweep import TaskActionSweep

    bundles = DynamoBundleRepository(client("dynamodb"), settings.table_name)
    return SweepService(
        build_reminder_repository(settings),
        ReminderPublisher(
            client("events"), settings.event_bus_name, max_attempts=settings.publish_max_attempts
        ),
        build_schedule_service(settings, bundles, catalog, build_hooks(settings)),
        lookback_days=settings.sweep_lookback_days,
        visitors=[TaskActionSweep(bundles, new_id)],
    )
