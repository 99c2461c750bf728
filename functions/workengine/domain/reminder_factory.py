"""The one place reminders are built (pure). Every reminder's ID is ``reminder_id(subject, kind,
occurrence)``, so the same moment always gives the same ID and a retried write cannot duplicate it.

- ``task_reminder``: about a task; recipient defaults to its assignee, else the bundle's owner; the
  details carry ``task_title`` and ``bundle_title``.
- ``bundle_reminder``: about a bundle (or something filed under it, e.g. a job or a schedule's
  occurrence); ``subject_id`` names what the ID is derived from (default: the bundle).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from workengine.domain.entities import Bundle, Reminder, Task
from workengine.domain.enums import ReminderKind
from workengine.domain.reminder_rules import reminder_id

# There is no directory of a tenant's people: reminders for "the tenant's admins" (an event that could not
# start a bundle) are addressed to the role. An admin's ``GET /reminders?recipient=me`` includes them.
ADMINS_RECIPIENT = "role:admin"


def task_reminder(
    task: Task,
    bundle: Bundle,
    kind: ReminderKind,
    *,
    occurrence: str | None,
    fire_at: datetime,
    message: str,
    created_at: datetime,
    details: Mapping[str, Any] | None = None,
    recipient: str | None = None,
) -> Reminder:
    return Reminder(
        reminder_id=reminder_id(task.task_id, kind, occurrence),
        tenant_id=task.tenant_id,
        bundle_id=task.bundle_id,
        task_id=task.task_id,
        kind=kind,
        fire_at=fire_at,
        recipient=recipient or task.assignee or bundle.owner,
        message=message,
        details={"task_title": task.title, "bundle_title": bundle.title, **(details or {})},
        created_at=created_at,
    )


def bundle_reminder(
    tenant_id: str,
    bundle_id: str,
    kind: ReminderKind,
    *,
    recipient: str,
    fire_at: datetime,
    message: str,
    created_at: datetime,
    occurrence: str | None = None,
    details: Mapping[str, Any] | None = None,
    subject_id: str | None = None,
    task_id: str | None = None,
) -> Reminder:
    return Reminder(
        reminder_id=reminder_id(subject_id or bundle_id, kind, occurrence),
        tenant_id=tenant_id,
        bundle_id=bundle_id,
        task_id=task_id,
        kind=kind,
        fire_at=fire_at,
        recipient=recipient,
        message=message,
        details=dict(details or {}),
        created_at=created_at,
    )
