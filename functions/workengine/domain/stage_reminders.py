"""Reminders a stage move creates (pure): ``stage_change``, one per assignee of the new stage's open tasks.

They are written in the same transaction as the move that causes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from workengine.domain.entities import Bundle, Reminder, Task
from workengine.domain.enums import ReminderKind
from workengine.domain.reminder_factory import bundle_reminder


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
