"""Stores a change of one or more tasks of a bundle with everything that follows from it, atomically:
rescheduled dependents, conditions reading a changed task (and their cascades), the bundle's stage/status,
the reminders the change causes (its own, a stage move's, approvals made actionable) and one audit event
per task."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from workengine.dal.bundle_repository import BundleSnapshot, DynamoBundleRepository
from workengine.domain.approval_reminders import approval_requested_reminders
from workengine.domain.audit import audit_event
from workengine.domain.condition_rules import SYSTEM_ACTOR, reevaluate_conditions
from workengine.domain.entities import (
    ArtifactEvidence,
    AuditEvent,
    Bundle,
    Comment,
    Reminder,
    Task,
    today_utc,
)
from workengine.domain.enums import EntityType
from workengine.domain.stage_reminders import stage_change_reminders
from workengine.domain.task_rules import bundle_progress_after, progressed_bundle, reschedule_dependents
from workengine.services.condition_outputs import outputs_for_conditions
from workengine.services.pinned_definitions import PinnedDefinitions


@dataclass
class TaskChangeSet:
    """What one request changes: tasks (with the audit action of each), and new items to add (comments,
    reminders the request itself causes)."""

    actor: str
    bundle: Bundle
    original: Mapping[str, Task]
    now: datetime
    changed: list[tuple[Task, str]] = field(default_factory=list)
    new_comments: list[Comment] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)
    # The bundle's tasks revision as read with ``bundle`` and ``original`` (``read_bundle``): the write
    # then fails if any other task of the bundle was written meanwhile (no write skew on progress).
    revision: int | None = None
    # Per task ID: the artifacts its change took as proof, recorded in that task's audit event.
    evidence: Mapping[str, list[ArtifactEvidence]] = field(default_factory=dict)


class TaskCommitter:
    """Raises TransactionConflict (a VersionConflictError) when any written item changed meanwhile,
    ServiceUnavailableError when DynamoDB throttles."""

    def __init__(
        self,
        repository: DynamoBundleRepository,
        definitions: PinnedDefinitions,
        new_id: Callable[[str], str],
    ) -> None:
        self._repository = repository
        self._definitions = definitions
        self._new_id = new_id

    def commit(self, change: TaskChangeSet) -> None:
        by_id = dict(change.original)
        writes: dict[str, tuple[Task, int]] = {}
        events: list[AuditEvent] = []

        def record(task: Task, action: str, actor: str = change.actor) -> None:
            before = by_id[task.task_id]
            original_version = change.original[task.task_id].version
            writes[task.task_id] = (task, original_version)
            event = self._event(actor, before, task, action, change.now)
            evidence = change.evidence.get(task.task_id) if action != "rescheduled" else None
            events.append(event.model_copy(update={"evidence": evidence}) if evidence else event)
            by_id[task.task_id] = task

        for task, action in change.changed:
            record(task, action)
        for task, _ in change.changed:
            for dependent in reschedule_dependents(by_id[task.task_id], list(by_id.values()), change.now):
                record(dependent, "rescheduled")
        requested = {task.task_id for task, _ in change.changed}
        for flipped in self._condition_flips(change.bundle, by_id, set(writes), change.now):
            if flipped.task_id not in requested:
                record(flipped, "condition_evaluated", SYSTEM_ACTOR)

        tasks_after = list(by_id.values())
        bundle_write, stage_reminders = self._progress(
            change.actor, change.bundle, tasks_after, change.now, events
        )
        bundle_now = bundle_write[0] if bundle_write else change.bundle
        approvals = approval_requested_reminders(bundle_now, change.original, tasks_after, change.now)
        self._repository.save_changes(
            bundle=bundle_write,
            tasks=list(writes.values()),
            new_comments=change.new_comments,
            events=events,
            reminders=[*change.reminders, *stage_reminders, *approvals],
            guard=(
                BundleSnapshot(change.bundle, list(change.original.values()), change.revision)
                if change.revision is not None
                else None
            ),
        )

    def _condition_flips(
        self, bundle: Bundle, by_id: Mapping[str, Task], changed_ids: set[str], now: datetime
    ) -> list[Task]:
        """Conditions reading a changed task, re-evaluated; with the flips they cascade into."""
        definition = self._definitions.find(bundle)
        if definition is None or not any(task.when for task in definition.tasks):
            return []
        keys = {by_id[task_id].template_task_ref for task_id in changed_ids}
        flips = reevaluate_conditions(
            definition,
            bundle,
            list(by_id.values()),
            today=today_utc(now),
            now=now,
            changed_keys=keys,
            outputs=outputs_for_conditions(self._repository, definition, bundle),
        )
        return list(flips.values())

    def _progress(
        self, actor: str, bundle: Bundle, tasks: Sequence[Task], now: datetime, events: list[AuditEvent]
    ) -> tuple[tuple[Bundle, int] | None, list[Reminder]]:
        template = self._definitions.find(bundle)
        phase_order = template.phase_ids() if template else list(dict.fromkeys(t.phase for t in tasks))
        progress = bundle_progress_after(bundle, phase_order, tasks)
        if not (progress.stage_changed or progress.status_changed):
            return None, []
        updated = progressed_bundle(bundle, progress, now)
        events.append(
            audit_event(
                entity_type=EntityType.BUNDLE,
                entity_id=bundle.bundle_id,
                action="progressed",
                actor=actor,
                at=now,
                new_id=self._new_id,
                before=bundle,
                after=updated,
            )
        )
        reminders = stage_change_reminders(updated, tasks, now) if progress.stage_changed else []
        return (updated, bundle.version), reminders

    def _event(self, actor: str, before: Task, after: Task, action: str, now: datetime) -> AuditEvent:
        return audit_event(
            entity_type=EntityType.TASK,
            entity_id=after.task_id,
            action=action,
            actor=actor,
            at=now,
            new_id=self._new_id,
            before=before,
            after=after,
        )
