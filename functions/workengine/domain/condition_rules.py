"""Applying conditions to a bundle's tasks: skip on ``not_met``, back to ``todo`` on ``met`` (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from workengine.domain.conditions import (
    CompiledCondition,
    ConditionState,
    compile_condition,
    condition_context,
    evaluate,
)
from workengine.domain.entities import Bundle, Task
from workengine.domain.enums import TaskStatus
from workengine.domain.template import WorkflowTemplate
from workengine.domain.versioning import next_version

CONDITION_SKIP_REASON = "condition"
SYSTEM_ACTOR = "system"  # the actor of changes a condition makes


def next_condition_check(now: datetime) -> datetime:
    """When time-dependent conditions are looked at next: the start of the next UTC day."""
    today = now.astimezone(UTC).date()
    return datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)


def has_time_conditions(definition: WorkflowTemplate) -> bool:
    return any(condition.uses_days_to_anchor for condition in compiled_conditions(definition).values())


def output_readers(definition: WorkflowTemplate) -> frozenset[str]:
    """Keys of the tasks whose assistant output some condition reads (empty: outputs need not be read)."""
    keys: set[str] = set()
    for condition in compiled_conditions(definition).values():
        keys |= condition.output_task_keys
    return frozenset(keys)


def compiled_conditions(definition: WorkflowTemplate) -> dict[str, CompiledCondition]:
    """Task key → compiled ``when`` (each expression compiled once per container)."""
    return {task.key: compile_condition(task.when) for task in definition.tasks if task.when}


def with_condition(task: Task, state: ConditionState, now: datetime) -> Task | None:
    """The task after its condition became ``state`` (version bumped), or None when nothing changes."""
    status, skip_reason = task.status, task.skip_reason
    if state is ConditionState.NOT_MET and task.is_open:
        status, skip_reason = TaskStatus.SKIPPED, CONDITION_SKIP_REASON
    elif (
        state is not ConditionState.NOT_MET
        and task.status is TaskStatus.SKIPPED
        and task.skip_reason == CONDITION_SKIP_REASON
    ):
        status, skip_reason = TaskStatus.TODO, None
    if state is task.condition and status is task.status:
        return None
    update: dict[str, object] = {"condition": state, "status": status, "skip_reason": skip_reason}
    if status is TaskStatus.SKIPPED:
        update.update(waiting_for=None, follow_up_at=None)
    return task.model_copy(update={**update, "version": next_version(task), "updated_at": now})


def reevaluate_conditions(
    definition: WorkflowTemplate,
    bundle: Bundle,
    tasks: Sequence[Task],
    *,
    today: date,
    now: datetime,
    changed_keys: set[str] | None = None,
    outputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Task]:
    """Tasks (by task_id) whose condition or status changed, each once with its version bumped once.

    ``changed_keys`` None evaluates every condition (creation, the daily sweep); otherwise only those
    reading a changed task (a new assistant output of a task counts as a change of it), then those
    reading a task that flipped, until nothing flips any more. ``outputs`` maps task keys to their
    latest succeeded assistant output (``tasks.<key>.outputs``); callers read it only when
    ``output_readers(definition)`` is not empty.
    """
    outputs = outputs or {}
    conditions = compiled_conditions(definition)
    if not conditions:
        return {}
    current = {task.template_task_ref: task for task in tasks}
    originals = {task.task_id: task for task in tasks}
    changed: dict[str, Task] = {}
    pending = (
        set(conditions)
        if changed_keys is None
        else {key for key, condition in conditions.items() if condition.task_keys & changed_keys}
    )
    for _ in range(len(conditions) + 1):
        if not pending:
            break
        context = condition_context(
            inputs=bundle.inputs,
            tags=bundle.tags,
            references=bundle.references,
            anchor_date=bundle.anchor_date,
            today=today,
            tasks={
                key: {
                    "status": task.status.value,
                    "fields": dict(task.fields),
                    "outputs": dict(outputs.get(key, {})),
                }
                for key, task in current.items()
            },
        )
        statuses = {key: task.status.value for key, task in current.items()}
        flipped: set[str] = set()
        for key in sorted(pending):
            task = current.get(key)
            if task is None:
                continue
            state = evaluate(conditions[key], context, statuses)
            updated = with_condition(task, state, now)
            if updated is None:
                continue
            original = originals[task.task_id]
            updated = updated.model_copy(update={"version": next_version(original)})
            current[key] = updated
            changed[task.task_id] = updated
            if updated.status is not task.status:
                flipped.add(key)
        pending = {key for key, condition in conditions.items() if condition.task_keys & flipped}
    return changed
