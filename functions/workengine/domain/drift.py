"""How a pinned definition differs from the current one, by task key."""

from __future__ import annotations

from dataclasses import dataclass

from workengine.domain.template import WorkflowTemplate


@dataclass(frozen=True)
class TaskDrift:
    """Task keys of the current definition the pinned one lacks (``added``), keys the pinned one has and
    the current one lacks (``removed``), and keys in both whose definitions differ in any way (title,
    phase, offsets, proof, dependencies, fields, conditions, approvals, assistant step...) (``changed``).
    Each list in template order (``removed``: the pinned definition's order)."""

    added: list[str]
    removed: list[str]
    changed: list[str]


def task_drift(pinned: WorkflowTemplate, current: WorkflowTemplate) -> TaskDrift:
    before = {task.key: task for task in pinned.tasks}
    after = {task.key: task for task in current.tasks}
    return TaskDrift(
        added=[key for key in after if key not in before],
        removed=[key for key in before if key not in after],
        changed=[key for key in after if key in before and before[key] != after[key]],
    )
