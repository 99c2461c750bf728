"""The reminder sweep: due schedules → bundles; due tasks → reminders; unpublished reminders → EventBridge.

Crash-safe by construction: every reminder has a deterministic ID and is created only if absent, a task
leaves its index bucket only after its reminders exist, and a reminder leaves the publish queue only
after EventBridge accepted it. A rerun after a crash therefore finishes the work without duplicates
(events are delivered at least once; consumers dedupe on ``reminder_id``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from workengine.dal.due_index import DUE_SHARDS
from workengine.dal.reminder_repository import DynamoReminderRepository
from workengine.domain.entities import Bundle, Reminder, Task
from workengine.domain.enums import BundleStatus
from workengine.domain.reminder_rules import next_fire_after, reminder_id, reminders_due
from workengine.observability import logger, metrics
from workengine.services.reminder_publisher import ReminderPublisher
from workengine.services.schedule_service import ScheduleService


class DueTaskVisitor(Protocol):
    """Extension point: sees the due tasks of active bundles before their reminders are derived (e.g.
    ending snoozes and escalating overdue tasks, ``services/task_action_sweep.py``)."""

    def visit(self, due: Sequence[tuple[Task, Bundle]], now: datetime) -> None: ...


@dataclass
class SweepReport:
    tasks_examined: int = 0
    reminders_created: list[str] = field(default_factory=list)
    bundles_created: list[str] = field(default_factory=list)
    schedule_failures: list[str] = field(default_factory=list)
    condition_checks: list[str] = field(default_factory=list)
    condition_changes: list[str] = field(default_factory=list)
    published: int = 0
    publish_failed: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "tasks_examined": self.tasks_examined,
            "reminders_created": len(self.reminders_created),
            "bundles_created": self.bundles_created,
            "schedule_failures": self.schedule_failures,
            "condition_checks": self.condition_checks,
            "condition_changes": self.condition_changes,
            "published": self.published,
            "publish_failed": self.publish_failed,
        }


class SweepService:
    """One sweep at an injected ``now``. Raises ServiceUnavailableError when DynamoDB throttles (the next
    sweep resumes where this one stopped)."""

    def __init__(
        self,
        repository: DynamoReminderRepository,
        publisher: ReminderPublisher,
        schedules: ScheduleService | None = None,
        *,
        lookback_days: int = 7,
        visitors: Sequence[DueTaskVisitor] = (),
    ) -> None:
        self._repository = repository
        self._publisher = publisher
        self._schedules = schedules
        self._lookback_days = lookback_days
        self._visitors = tuple(visitors)

    def run(self, now: datetime) -> SweepReport:
        now = now.astimezone(UTC)
        report = SweepReport()
        # Read the publish queue first: reminders left by earlier sweeps (or written by stage moves);
        # the ones this sweep creates are published from memory, so they are not read back.
        queued = self._repository.unpublished_reminders()
        created: list[Reminder] = []
        if self._schedules is not None:
            run = self._schedules.run_due(now)
            report.bundles_created.extend(run.bundles_created)
            report.schedule_failures.extend(run.failures)
            created.extend(run.reminders)
        created.extend(self._sweep_tasks(now, report))
        report.reminders_created.extend(r.reminder_id for r in created)
        self._publish(now, queued, created, report)
        metrics.add_metric(name="RemindersCreated", unit="Count", value=len(report.reminders_created))
        logger.info("sweep finished", extra=report.as_dict())
        return report

    def _due_tasks(self, now: datetime) -> list[Task]:
        today = now.date()
        tasks: list[Task] = []
        for back in range(self._lookback_days, -1, -1):
            day = today - timedelta(days=back)
            for shard in range(DUE_SHARDS):
                tasks.extend(self._repository.due_tasks(day, shard, now))
        return tasks

    def _sweep_tasks(self, now: datetime, report: SweepReport) -> list[Reminder]:
        tasks = self._due_tasks(now)
        report.tasks_examined = len(tasks)
        bundles = self._repository.get_bundles({(task.tenant_id, task.bundle_id) for task in tasks})
        active = [
            (task, bundle)
            for task in tasks
            if (bundle := bundles.get((task.tenant_id, task.bundle_id))) is not None
            and bundle.status is BundleStatus.ACTIVE
        ]
        for visitor in self._visitors:
            visitor.visit(active, now)
        created: list[Reminder] = []
        for task in tasks:
            bundle = bundles.get((task.tenant_id, task.bundle_id))
            if bundle is None or bundle.status is not BundleStatus.ACTIVE:
                # Tasks of cancelled/archived (or vanished) bundles remind nobody.
                self._repository.advance_task(task, None)
                continue
            for reminder in self._reminders_for(task, bundle, now):
                if self._repository.put_new_reminder(reminder):
                    created.append(reminder)
            # Only now, with every reminder of the task written, may the task leave this bucket.
            self._repository.advance_task(task, next_fire_after(task, now))
        return created

    @staticmethod
    def _reminders_for(task: Task, bundle: Bundle, now: datetime) -> list[Reminder]:
        return [
            Reminder(
                reminder_id=reminder_id(task.task_id, due.kind, due.occurrence),
                tenant_id=task.tenant_id,
                bundle_id=task.bundle_id,
                task_id=task.task_id,
                kind=due.kind,
                fire_at=due.fire_at,
                recipient=task.assignee or bundle.owner,
                message=due.message,
                details={**due.details, "task_title": task.title, "bundle_title": bundle.title},
                created_at=now,
            )
            for due in reminders_due(task, now)
        ]

    def _publish(
        self, now: datetime, queued: list[Reminder], created: list[Reminder], report: SweepReport
    ) -> None:
        pending = list({r.reminder_id: r for r in [*queued, *created]}.values())
        if not pending:
            return
        result = self._publisher.publish(pending)
        for reminder in result.published:
            self._repository.mark_published(reminder, now)
        for reminder, error in result.failed:
            self._repository.mark_publish_failed(reminder, now, error)
        report.published += len(result.published)
        report.publish_failed += len(result.failed)
