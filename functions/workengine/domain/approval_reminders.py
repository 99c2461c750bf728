"""Reminders an approval change creates (pure): ``approval_requested`` and ``rework``.

They are written in the same transaction as the change that causes them. Their IDs name the moment
(round and time of the change), so a retried write recomputes the same IDs and a later moment of the
same kind is a new reminder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from workengine.domain.approvals import eligible_approvers, newly_actionable
from workengine.domain.entities import Bundle, Reminder, Task
from workengine.domain.enums import ReminderKind
from workengine.domain.reminder_factory import task_reminder


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def approval_requested_reminders(
    bundle: Bundle, before: Mapping[str, Task] | None, after: Sequence[Task], now: datetime
) -> list[Reminder]:
    """One reminder per approver who may decide, for every approval task the change made actionable."""
    reminders: list[Reminder] = []
    for task in newly_actionable(before, after):
        for approver in eligible_approvers(task, bundle.assignees, bundle.owner):
            occurrence = f"r{task.approval_round}_{_stamp(now)}_{approver}"
            reminders.append(
                task_reminder(
                    task,
                    bundle,
                    ReminderKind.APPROVAL_REQUESTED,
                    occurrence=occurrence,
                    fire_at=now,
                    recipient=approver,
                    message=f"{task.title!r} in {bundle.title!r} is waiting for your approval",
                    details={
                        "round": task.approval_round,
                        "required": task.approval.required if task.approval else 1,
                    },
                    created_at=now,
                )
            )
    return reminders


def rework_reminder(bundle: Bundle, reopened: Task, rejected: Task, comment: str, now: datetime) -> Reminder:
    """Tells the rework task's assignee why their finished work came back."""
    return task_reminder(
        reopened,
        bundle,
        ReminderKind.REWORK,
        occurrence=_stamp(now),
        fire_at=now,
        message=f"{reopened.title!r} needs rework: {rejected.title!r} was rejected ({comment})",
        details={
            "rejected_task_id": rejected.task_id,
            "comment": comment,
        },
        created_at=now,
    )
