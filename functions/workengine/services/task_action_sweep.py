"""The sweep's side of task actions: a snooze whose time has come ends (``snooze_ended`` to the
assignee), and an open task ``escalate_after_days`` overdue is escalated once to its template's
``escalate_to`` (``escalation`` to the target).

Plugged into the sweep as a due-task visitor: it sees the due tasks of active bundles (a snoozed task is
due at the end of its snooze, an overdue one every day) before their reminders are derived. Each change
is its own transaction, conditioned on the version the sweep read: a task a user changed meanwhile is
left to the next sweep, and the deterministic reminder IDs make a rerun create nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.domain.audit import audit_event
from workengine.domain.entities import Bundle, Reminder, Task
from workengine.domain.enums import EntityType
from workengine.domain.errors import VersionConflictError
from workengine.domain.task_actions import SYSTEM_ACTOR, auto_escalate, end_snooze
from workengine.observability import logger


class TaskActionSweep:
    """Raises ServiceUnavailableError when DynamoDB throttles (the next sweep redoes what is left)."""

    def __init__(self, repository: DynamoBundleRepository, new_id: Callable[[str], str]) -> None:
        self._repository = repository
        self._new_id = new_id

    def visit(self, due: Sequence[tuple[Task, Bundle]], now: datetime) -> None:
        for task, bundle in due:
            ended = end_snooze(task, bundle, now)
            if ended is not None:
                self._store(task, *ended, "snooze_ended", now)
                continue
            escalated = auto_escalate(task, bundle, now)
            if escalated is not None:
                self._store(task, *escalated, "escalated", now)

    def _store(self, before: Task, after: Task, reminder: Reminder, action: str, now: datetime) -> None:
        event = audit_event(
            entity_type=EntityType.TASK,
            entity_id=after.task_id,
            action=action,
            actor=SYSTEM_ACTOR,
            at=now,
            new_id=self._new_id,
            before=before,
            after=after,
        )
        try:
            self._repository.save_changes(
                tasks=[(after, before.version)],
                events=[event],
                reminders=[reminder],
            )
        except VersionConflictError:
            logger.info(
                "task changed during the sweep; left to the next one", extra={"task_id": after.task_id}
            )
