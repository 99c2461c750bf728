"""The reminder sweep: due schedules → bundles; due tasks → reminders; unpublished reminders → EventBridge;
pending uploads past their URL's lifetime → ``expired``; email held back by quiet hours that ended, and
the daily digests that are due → SES.

Never misses a due task, however long it did not run: the due index keeps each shard's open tasks in
time order, and a task leaves the front of its shard (moves past ``now``) only in the transaction that
creates its reminders. Whatever has not been swept is therefore still at the front of its shard, and
each sweep reads from there: the index is the durable watermark. After a long outage a task gets the
reminders due *now* (``overdue`` only for today), not one per missed day.

Bounded: the sweep reads and writes page by page (``page_size`` tasks), so memory does not grow with
the number due, and stops between pages once its ``Budget`` is spent, handing the rest of the shard on
(``SweepHandover``) as a ``ShardWork`` with the cursor where it stopped; without a handover the next
scheduled sweep picks the rest up from the index.

Crash-safe and duplicate-free across handovers: every reminder has a deterministic ID and is created
only if absent, and a reminder leaves the publish queue only after EventBridge accepted it. Two workers
on the same shard (a redelivered message) create each reminder once; events are delivered at least once
and consumers dedupe on ``reminder_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from workengine.dal.due_index import DUE_SHARDS, PUBLISH_SHARDS
from workengine.dal.due_task_repository import DynamoDueTaskRepository, TaskSweepWrite, reminder_identity
from workengine.dal.reminder_publisher import PublishResult
from workengine.dal.reminder_repository import DynamoReminderRepository
from workengine.domain.entities import Bundle, Reminder, Task
from workengine.domain.enums import BundleStatus
from workengine.domain.paging import Cursor
from workengine.domain.reminder_factory import task_reminder
from workengine.domain.reminder_rules import next_fire_after, reminders_due
from workengine.domain.sweep_shards import ShardWork
from workengine.observability import logger, metrics
from workengine.services.schedule_service import ScheduleService
from workengine.services.sweep_work import UNLIMITED, Budget, SweepHandover, shard_works
from workengine.services.upload_expiry import UploadExpiryService

if TYPE_CHECKING:
    from workengine.services.digest_service import DigestService
    from workengine.services.notification_service import NotificationService

DEFAULT_PAGE_SIZE = 100
REPORTED_IDS = 200  # the report lists at most this many created IDs; the count is always exact


class DueTaskVisitor(Protocol):
    """Extension point: sees each page of due tasks of active bundles before their reminders are derived
    (e.g. a daily re-evaluation of ``days_to_anchor`` conditions; such a task is visited daily when
    ``reminder_rules.next_fire_after`` offers the next day's start for it)."""

    def visit(self, due: Sequence[tuple[Task, Bundle]], now: datetime) -> None: ...


@dataclass
class SweepReport:
    tasks_examined: int = 0
    created: int = 0
    reminders_created: list[str] = field(default_factory=list)  # the first REPORTED_IDS
    bundles_created: list[str] = field(default_factory=list)
    schedule_failures: list[str] = field(default_factory=list)
    condition_checks: list[str] = field(default_factory=list)
    condition_changes: list[str] = field(default_factory=list)
    published: int = 0
    publish_failed: int = 0
    uploads_expired: int = 0
    emails_sent: int = 0  # held back by quiet hours that ended
    digests_sent: int = 0
    pages: int = 0
    handed_over: int = 0  # ShardWork items given to the handover (fan-out and continuations)
    complete: bool = True  # False: this invocation left due work (handed on, or for the next sweep)

    def add_created(self, reminders: Sequence[Reminder]) -> None:
        self.created += len(reminders)
        room = REPORTED_IDS - len(self.reminders_created)
        self.reminders_created.extend(r.reminder_id for r in reminders[: max(room, 0)])

    def as_dict(self) -> dict[str, object]:
        return {
            "tasks_examined": self.tasks_examined,
            "reminders_created": self.created,
            "bundles_created": self.bundles_created,
            "schedule_failures": self.schedule_failures,
            "condition_checks": self.condition_checks,
            "condition_changes": self.condition_changes,
            "published": self.published,
            "publish_failed": self.publish_failed,
            "uploads_expired": self.uploads_expired,
            "emails_sent": self.emails_sent,
            "digests_sent": self.digests_sent,
            "pages": self.pages,
            "handed_over": self.handed_over,
            "complete": self.complete,
        }


class Publisher(Protocol):
    def publish(self, reminders: Sequence[Reminder]) -> PublishResult: ...


class SweepService:
    """One sweep at an injected ``now``. Raises ServiceUnavailableError when DynamoDB throttles (the
    next sweep, or the redelivered work item, resumes from the index)."""

    def __init__(
        self,
        due_tasks: DynamoDueTaskRepository,
        reminders: DynamoReminderRepository,
        publisher: Publisher,
        schedules: ScheduleService | None = None,
        *,
        uploads: UploadExpiryService | None = None,
        handover: SweepHandover | None = None,
        visitors: Sequence[DueTaskVisitor] = (),
        notifications: NotificationService | None = None,
        digests: DigestService | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        shards: int = DUE_SHARDS,
    ) -> None:
        self._due_tasks = due_tasks
        self._reminders = reminders
        self._publisher = publisher
        self._schedules = schedules
        self._uploads = uploads
        self._handover = handover
        self._visitors = tuple(visitors)
        self._notifications = notifications
        self._digests = digests
        self._page_size = page_size
        self._shards = shards

    # ---- entry points -------------------------------------------------------------------------------
    def run(self, now: datetime, budget: Budget = UNLIMITED) -> SweepReport:
        """The scheduled sweep: the publish queue left by earlier runs, expired uploads, due schedules,
        then every shard of the due index: handed over (one ``ShardWork`` per shard, to run in parallel)
        when a handover is wired, else swept here within ``budget``."""
        now = now.astimezone(UTC)
        report = SweepReport()
        self._drain_publish_queue(now, budget, report)
        if self._uploads is not None:
            report.uploads_expired = self._uploads.expire_stale(now, budget)
        self._notify(now, budget, report)
        if self._schedules is not None:
            run = self._schedules.run_due(now)
            report.bundles_created.extend(run.bundles_created)
            report.schedule_failures.extend(run.failures)
            report.add_created(run.reminders)
            self._publish(now, run.reminders, report)
        work = shard_works(now, self._shards)
        if self._handover is not None:
            self._handover.hand_over(work)
            report.handed_over += len(work)
            report.complete = False
        else:
            for item in work:
                if budget.exhausted():
                    report.complete = False
                    break
                self._sweep_shard(item, budget, report)
        self._finish(report)
        return report

    def sweep_shard(self, work: ShardWork, budget: Budget = UNLIMITED) -> SweepReport:
        """One shard from ``work.cursor`` until it is drained or ``budget`` is spent (the rest is handed
        on when a handover is wired)."""
        report = SweepReport()
        self._sweep_shard(work.model_copy(update={"now": work.now.astimezone(UTC)}), budget, report)
        self._finish(report)
        return report

    # ---- due tasks ----------------------------------------------------------------------------------
    def _sweep_shard(self, work: ShardWork, budget: Budget, report: SweepReport) -> None:
        cursor: Cursor | None = work.cursor
        while True:
            tasks, cursor = self._due_tasks.due_task_page(work.shard, work.now, cursor, self._page_size)
            report.pages += 1
            self._sweep_page(tasks, work.now, report)
            if cursor is None:
                return
            if budget.exhausted():
                report.complete = False
                if self._handover is not None:
                    self._handover.hand_over([work.continued(cursor)])
                    report.handed_over += 1
                return

    def _sweep_page(self, tasks: list[Task], now: datetime, report: SweepReport) -> None:
        if not tasks:
            return
        report.tasks_examined += len(tasks)
        bundles = self._due_tasks.get_bundles({(task.tenant_id, task.bundle_id) for task in tasks})
        active = [
            (task, bundle)
            for task in tasks
            if (bundle := bundles.get((task.tenant_id, task.bundle_id))) is not None
            and bundle.status is BundleStatus.ACTIVE
        ]
        for visitor in self._visitors:
            visitor.visit(active, now)
        # Keyed by tenant as well: an import into another tenant keeps task and reminder IDs.
        wanted = {
            (task.tenant_id, task.task_id): self._reminders_for(task, bundle, now) for task, bundle in active
        }
        existing = self._due_tasks.existing_reminders([r for rs in wanted.values() for r in rs])
        # Tasks of cancelled/archived (or vanished) bundles remind nobody and leave the index.
        writes = [
            TaskSweepWrite(
                task,
                [
                    r
                    for r in wanted.get((task.tenant_id, task.task_id), [])
                    if reminder_identity(r) not in existing
                ],
                next_fire_after(task, now) if (task.tenant_id, task.task_id) in wanted else None,
            )
            for task in tasks
        ]
        outcome = self._due_tasks.write_sweep_batch(writes)
        report.add_created(outcome.created)
        self._publish(now, outcome.created, report)

    @staticmethod
    def _reminders_for(task: Task, bundle: Bundle, now: datetime) -> list[Reminder]:
        return [
            task_reminder(
                task,
                bundle,
                due.kind,
                occurrence=due.occurrence,
                fire_at=due.fire_at,
                message=due.message,
                details=due.details,
                created_at=now,
            )
            for due in reminders_due(task, now)
        ]

    # ---- publishing ---------------------------------------------------------------------------------
    def _drain_publish_queue(self, now: datetime, budget: Budget, report: SweepReport) -> None:
        """Reminders earlier sweeps created but could not publish (crash, EventBridge refusing), page by
        page. A page failing again stays queued, and the cursor moves past it, so this ends."""
        for shard in range(PUBLISH_SHARDS):
            cursor: Cursor | None = None
            while not budget.exhausted():
                queued, cursor = self._reminders.unpublished_page(shard, cursor, self._page_size)
                self._publish(now, queued, report)
                if cursor is None:
                    break

    def _publish(self, now: datetime, reminders: Sequence[Reminder], report: SweepReport) -> None:
        if not reminders:
            return
        result = self._publisher.publish(reminders)
        self._reminders.mark_publish_results(result.published, result.failed, now)
        report.published += len(result.published)
        report.publish_failed += len(result.failed)

    def _notify(self, now: datetime, budget: Budget, report: SweepReport) -> None:
        """Email held back by quiet hours that have ended, and the daily digests that are due."""
        if self._notifications is not None:
            deferred = self._notifications.deliver_deferred(now, budget)
            report.emails_sent += sum(1 for outcome in deferred.delivered if outcome.status == "sent")
        if self._digests is not None:
            report.digests_sent += len(self._digests.send_due(now, budget).sent)

    @staticmethod
    def _finish(report: SweepReport) -> None:
        metrics.add_metric(name="RemindersCreated", unit="Count", value=report.created)
        if not report.complete:
            metrics.add_metric(name="SweepHandedOver", unit="Count", value=report.handed_over)
        logger.info("sweep finished", extra=report.as_dict())
