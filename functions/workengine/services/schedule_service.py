"""Recurring workflows: tenants switch a template's schedule on; the sweep instantiates due occurrences."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from workengine.catalog.loader import TemplateCatalog
from workengine.dal.reminder_repository import DynamoReminderRepository
from workengine.dal.schedule_repository import DynamoScheduleRepository
from workengine.dal.transactions import TransactionConflict, bundle_ref
from workengine.domain.clock import Clock, utc_now
from workengine.domain.entities import Reminder
from workengine.domain.enums import ReminderKind, Role
from workengine.domain.errors import (
    ServiceUnavailableError,
    ValidationFailedError,
    VersionConflictError,
    WorkEngineError,
)
from workengine.domain.identity import Identity
from workengine.domain.ids import new_id
from workengine.domain.instantiation import NewBundleRequest
from workengine.domain.reminder_factory import bundle_reminder
from workengine.domain.rendering import MissingVariableError
from workengine.domain.schedules import (
    Schedule,
    anchor_date_for,
    due_occurrences,
    next_after,
    scheduled_bundle_id,
    scheduled_title,
)
from workengine.domain.template import ScheduleTrigger, WorkflowTemplate
from workengine.domain.versioning import next_version
from workengine.observability import logger
from workengine.services.bundle_service import BundleService
from workengine.services.pagination import PageTokenCodec

SCHEDULER_USER = "system:scheduler"


@dataclass(frozen=True)
class ScheduleRequest:
    enabled: bool
    assignees: dict[str, str] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)


@dataclass
class ScheduleRunReport:
    bundles_created: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)


def _schedule_trigger(template: WorkflowTemplate) -> ScheduleTrigger:
    triggers = template.schedule_triggers()
    if not triggers:
        raise ValidationFailedError(
            f"template {template.template_id!r} has no schedule trigger",
            {"template_id": template.template_id},
        )
    return triggers[0]


class ScheduleService:
    """Raises ForbiddenError (not admin), TemplateNotFoundError, ValidationFailedError (template has no
    schedule trigger) and VersionConflictError (concurrent change of the same schedule)."""

    def __init__(
        self,
        schedules: DynamoScheduleRepository,
        reminders: DynamoReminderRepository,
        bundles: BundleService,
        catalog: TemplateCatalog,
        tokens: PageTokenCodec,
        *,
        clock: Clock = utc_now,
        id_factory: Callable[[str], str] = new_id,
    ) -> None:
        self._schedules = schedules
        self._reminders = reminders
        self._bundles = bundles
        self._catalog = catalog
        self._tokens = tokens
        self._clock = clock
        self._new_id = id_factory

    def _template(self, template_id: str) -> WorkflowTemplate:
        return self._catalog.require(template_id)

    # ---- API --------------------------------------------------------------------------------------
    def put_schedule(self, identity: Identity, template_id: str, request: ScheduleRequest) -> Schedule:
        identity.require(Role.ADMIN)
        template = self._template(template_id)
        template.check_assignee_roles(request.assignees)
        trigger = _schedule_trigger(template)
        now = self._clock()
        current = self._schedules.get_schedule(identity.tenant_id, template_id)
        keep_next = (
            current is not None
            and current.enabled
            and request.enabled
            and current.cron == trigger.cron
            and current.next_occurrence is not None
        )
        next_occurrence = None
        if request.enabled:
            # Enabling starts with the next occurrence: nothing before the switch-on is caught up.
            next_occurrence = (
                current.next_occurrence if keep_next and current else next_after(trigger.cron, now)
            )
        schedule = Schedule(
            tenant_id=identity.tenant_id,
            template_id=template_id,
            enabled=request.enabled,
            assignees=dict(request.assignees),
            references=dict(request.references),
            tags=list(dict.fromkeys(request.tags)),
            cron=trigger.cron,
            next_occurrence=next_occurrence,
            last_occurrence=current.last_occurrence if current else None,
            last_bundle_id=current.last_bundle_id if current else None,
            skipped_occurrences=current.skipped_occurrences if current else 0,
            version=next_version(current) if current else 1,
            created_at=current.created_at if current else now,
            updated_at=now,
            updated_by=identity.user_id,
        )
        self._schedules.save_schedule(schedule, current.version if current else None)
        return schedule

    def list_schedules(self, identity: Identity) -> list[Schedule]:
        identity.require(Role.VIEWER)
        return self._schedules.list_schedules(identity.tenant_id)

    # ---- the sweep --------------------------------------------------------------------------------
    def run_due(self, now: datetime) -> ScheduleRunReport:
        """Instantiate every due occurrence of every enabled schedule, once each (the deterministic
        bundle ID is the occurrence key), then move each schedule to its next occurrence."""
        report = ScheduleRunReport()
        for schedule in self._schedules.due_schedules(now):
            try:
                self._run_schedule(schedule, now, report)
            except ServiceUnavailableError:
                logger.warning(
                    "schedule left for the next sweep", extra={"template_id": schedule.template_id}
                )
        return report

    def _run_schedule(self, schedule: Schedule, now: datetime, report: ScheduleRunReport) -> None:
        if schedule.next_occurrence is None:
            return
        template = self._catalog.get(schedule.template_id)
        trigger = template.schedule_triggers()[0] if template and template.schedule_triggers() else None
        cron = trigger.cron if trigger else schedule.cron
        limit = trigger.catch_up_limit if trigger else 0
        due = due_occurrences(cron, schedule.next_occurrence, now, limit)
        last_bundle = schedule.last_bundle_id
        for occurrence in due.run:
            bundle_id = scheduled_bundle_id(schedule.template_id, occurrence)
            if template is None or trigger is None:
                self._failure(
                    schedule, bundle_id, occurrence, now, "the template or its schedule is gone", report
                )
                continue
            if self._instantiate(schedule, template, trigger, occurrence, bundle_id, now, report):
                last_bundle = bundle_id
        advanced = schedule.model_copy(
            update={
                "cron": cron,
                "next_occurrence": due.next_occurrence,
                "last_occurrence": due.run[-1] if due.run else schedule.last_occurrence,
                "last_bundle_id": last_bundle,
                "skipped_occurrences": schedule.skipped_occurrences + due.skipped,
                "version": next_version(schedule),
            }
        )
        try:
            self._schedules.save_schedule(advanced, schedule.version)
        except VersionConflictError:
            # An admin changed the schedule meanwhile; the next sweep re-derives (bundles are not repeated).
            logger.info("schedule changed during the sweep", extra={"template_id": schedule.template_id})

    def _owner(self, schedule: Schedule, template: WorkflowTemplate | None) -> str:
        role = template.owner_role if template else "owner"
        return schedule.assignees.get(role, schedule.updated_by)

    def _instantiate(
        self,
        schedule: Schedule,
        template: WorkflowTemplate,
        trigger: ScheduleTrigger,
        occurrence: datetime,
        bundle_id: str,
        now: datetime,
        report: ScheduleRunReport,
    ) -> bool:
        owner = self._owner(schedule, template)
        try:
            title = scheduled_title(trigger, template, occurrence)
            request = NewBundleRequest(
                bundle_id=bundle_id,
                template_id=template.template_id,
                title=title,
                anchor_date=anchor_date_for(trigger, occurrence),
                references=dict(schedule.references),
                tags=list(schedule.tags),
                assignees={template.owner_role: owner, **schedule.assignees},
            )
            try:
                self._bundles.create_automated(schedule.tenant_id, SCHEDULER_USER, request, now)
                report.bundles_created.append(bundle_id)
            except TransactionConflict as conflict:
                if conflict.on != bundle_ref(bundle_id):
                    raise
                # Created by an earlier run (or a concurrent one): the occurrence is done.
        except ServiceUnavailableError:
            raise
        except (WorkEngineError, MissingVariableError) as exc:
            self._failure(schedule, bundle_id, occurrence, now, str(exc), report)
            return False
        self._remind(
            report,
            bundle_reminder(
                schedule.tenant_id,
                bundle_id,
                ReminderKind.RECURRING,
                fire_at=now,
                recipient=owner,
                message=f"a new {template.title!r} bundle was created: {title}",
                details={"template_id": template.template_id, "occurrence": occurrence.isoformat()},
                created_at=now,
            ),
        )
        return True

    def _failure(
        self,
        schedule: Schedule,
        bundle_id: str,
        occurrence: datetime,
        now: datetime,
        error: str,
        report: ScheduleRunReport,
    ) -> None:
        """An ``automation_failure`` reminder, filed under the bundle ID the occurrence would have had."""
        logger.warning(
            "scheduled instantiation failed",
            extra={"tenant_id": schedule.tenant_id, "template_id": schedule.template_id, "error": error},
        )
        report.failures.append(bundle_id)
        self._remind(
            report,
            bundle_reminder(
                schedule.tenant_id,
                bundle_id,
                ReminderKind.AUTOMATION_FAILURE,
                fire_at=now,
                recipient=self._owner(schedule, self._catalog.get(schedule.template_id)),
                message=f"the scheduled {schedule.template_id!r} bundle could not be created: {error}",
                details={
                    "template_id": schedule.template_id,
                    "occurrence": occurrence.isoformat(),
                    "error": error,
                },
                created_at=now,
            ),
        )

    def _remind(self, report: ScheduleRunReport, reminder: Reminder) -> None:
        if self._reminders.put_new_reminder(reminder):
            report.reminders.append(reminder)
