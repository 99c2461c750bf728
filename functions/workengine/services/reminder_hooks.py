"""``stage_change`` and ``approval_requested`` reminders, written in the same transaction as the change
that causes them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from workengine.dal.items import reminder_item
from workengine.dal.transactions import WriteTransaction
from workengine.domain.approval_reminders import approval_requested_reminders
from workengine.domain.entities import Bundle, Reminder, Task
from workengine.domain.enums import ReminderKind
from workengine.domain.reminder_factory import bundle_reminder
from workengine.services.hooks import ServiceHooks


def stage_change_reminders(bundle: Bundle, tasks: Sequence[Task], now: datetime) -> list[Reminder]:
    """One reminder per distinct assignee of the new stage's open tasks. The ID names the bundle version
    that made the move, so a retried write cannot duplicate it and a later move back is a new one."""
    assignees: dict[str, list[str]] = {}
    for task in tasks:
        if task.phase == bundle.stage and task.status.is_open:
            assignees.setdefault(task.assignee or bundle.owner, []).append(task.task_id)
    return [
        bundle_reminder(
            bundle.tenant_id,
            bundle.bundle_id,
            ReminderKind.STAGE_CHANGE,
            occurrence=f"{bundle.stage}_v{bundle.version}_{assignee}",
            fire_at=now,
            recipient=assignee,
            message=f"{bundle.title!r} moved to stage {bundle.stage!r}: {len(task_ids)} task(s) are yours",
            details={"stage": bundle.stage, "task_ids": task_ids},
            created_at=now,
        )
        for assignee, task_ids in sorted(assignees.items())
    ]


class ReminderHooks(ServiceHooks):
    """Adds the stage's reminders to the stage move's transaction; the next sweep publishes them."""

    def __init__(self, table_name: str) -> None:
        self._table = table_name

    def on_stage_change(
        self, bundle: Bundle, tasks: Sequence[Task], now: datetime
    ) -> WriteTransaction | None:
        return self.write_reminders(stage_change_reminders(bundle, tasks, now))

    def on_tasks_changed(
        self, bundle: Bundle, before: Mapping[str, Task] | None, after: Sequence[Task], now: datetime
    ) -> WriteTransaction | None:
        return self.write_reminders(approval_requested_reminders(bundle, before, after, now))

    def write_reminders(self, reminders: Sequence[Reminder]) -> WriteTransaction | None:
        """New reminders as puts of one transaction (None when there are none)."""
        if not reminders:
            return None
        transaction = WriteTransaction(self._table)
        for reminder in reminders:
            transaction.put_new(reminder_item(reminder), f"reminder:{reminder.reminder_id}")
        return transaction
