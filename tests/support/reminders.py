"""Helpers of the reminder and schedule tests: a settable clock, services on it, item read counting."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from workengine.catalog.loader import TemplateCatalog
from workengine.composition import container
from workengine.dal import aws
from workengine.dal.aws import client
from workengine.dal.due_task_repository import DynamoDueTaskRepository
from workengine.dal.reminder_publisher import ReminderPublisher
from workengine.dal.reminder_repository import DynamoReminderRepository
from workengine.dal.schedule_repository import DynamoScheduleRepository
from workengine.domain.enums import Role
from workengine.domain.identity import Identity
from workengine.domain.ids import new_id
from workengine.domain.instantiation import InstantiatedBundle, NewBundleRequest
from workengine.domain.task_rules import TaskChange
from workengine.handlers.api import dependencies as deps
from workengine.services.bundle_service import BundleService
from workengine.services.notification_service import NotificationService
from workengine.services.schedule_service import ScheduleService
from workengine.services.sweep_service import SweepReport, SweepService
from workengine.services.sweep_work import UNLIMITED, Budget, SweepHandover
from workengine.services.task_action_sweep import TaskActionSweep
from workengine.services.task_service import TaskService
from workengine.settings import get_settings
from workengine_tools.bench.harness import ItemReads

MIA = Identity("acme", "mia", Role.MEMBER)
ADA = Identity("acme", "ada", Role.ADMIN)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    """Services on one settable clock over the moto backend of the ``aws_env`` fixture."""

    clock: Clock
    catalog: TemplateCatalog = field(default_factory=lambda: deps.catalog())

    @property
    def repository(self) -> DynamoReminderRepository:
        return container().reminder_repository

    @property
    def due_tasks(self) -> DynamoDueTaskRepository:
        return container().due_task_repository

    @property
    def schedule_repository(self) -> DynamoScheduleRepository:
        return container().schedule_repository

    def bundles(self) -> BundleService:
        return BundleService(
            deps.bundle_repository(),
            self.catalog,
            deps.page_tokens(),
            clock=self.clock,
            archived_binaries=container().archived_binaries,
        )

    def tasks(self) -> TaskService:
        return TaskService(
            deps.bundle_repository(),
            self.catalog,
            deps.page_tokens(),
            clock=self.clock,
            proof=container().artifact_proof,
        )

    def schedules(self) -> ScheduleService:
        return ScheduleService(
            self.schedule_repository,
            self.repository,
            self.bundles(),
            self.catalog,
            deps.page_tokens(),
            clock=self.clock,
        )

    def sweeper(
        self,
        due_tasks: DynamoDueTaskRepository | None = None,
        events: Any = None,
        handover: SweepHandover | None = None,
        page_size: int = 100,
        notifications: NotificationService | None = None,
    ) -> SweepService:
        settings = get_settings()
        return SweepService(
            due_tasks or self.due_tasks,
            self.repository,
            ReminderPublisher(events or client("events"), settings.event_bus_name, max_attempts=3),
            self.schedules(),
            visitors=[TaskActionSweep(deps.bundle_repository(), new_id)],
            uploads=container().upload_expiry,
            handover=handover,
            page_size=page_size,
            notifications=notifications,
        )

    def sweep(self, now: datetime, budget: Budget = UNLIMITED, **kwargs: Any) -> SweepReport:
        self.clock.now = now
        return self.sweeper(**kwargs).run(now, budget)

    def create_test_flow(self, anchor: date, title: str = "Launch") -> InstantiatedBundle:
        return self.bundles().create_bundle(
            MIA,
            NewBundleRequest(
                template_id="test-flow",
                title=title,
                anchor_date=anchor,
                references={"brief": "https://docs.example.com/brief"},
                assignees={"owner": "mia", "reviewer": "rex"},
            ),
        )

    def change(self, task_id: str, at: datetime, **fields: Any) -> None:
        self.clock.now = at
        self.tasks().update_task(MIA, task_id, TaskChange(fields_set=frozenset(fields), **fields), None)


def reminder_items(bundle_id: str | None = None) -> list[dict[str, Any]]:
    """Every stored reminder (tests only: the product never scans)."""
    from workengine.dal.codec import deserialize

    items = client("dynamodb").scan(TableName=get_settings().table_name).get("Items", [])
    found = [deserialize(i) for i in items if i.get("entity_type", {}).get("S") == "reminder"]
    return [i for i in found if bundle_id is None or i["bundle_id"] == bundle_id]


def reminder_ids(bundle_id: str | None = None) -> set[str]:
    return {item["reminder_id"] for item in reminder_items(bundle_id)}


_READS = ItemReads()
aws.session().events.register("after-call.dynamodb", _READS, unique_id="workengine-test-item-reads")


def count_items_read() -> AbstractContextManager[ItemReads]:
    """Counts items DynamoDB returns inside the block (the hook is on the shared session, so clients
    created later have it)."""
    return _READS.counting()
