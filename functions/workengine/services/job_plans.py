"""What both sides of an assistant job share: the plan a job runs and the job's audit events.

The API side plans a job at creation to refuse now what would fail later; the worker plans it again
when it runs (the task or its definition may have changed meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from workengine.domain.assistant import TASK_STEP, JobPlan, plan_for_ad_hoc, plan_for_step
from workengine.domain.audit import audit_event
from workengine.domain.entities import AssistantJob, AuditEvent, Bundle, Task
from workengine.domain.enums import EntityType, JobKind
from workengine.domain.errors import ValidationFailedError
from workengine.services.pinned_definitions import PinnedDefinitions

SYSTEM_ACTOR = "system:assistant"


def plan_job(
    definitions: PinnedDefinitions,
    kind: JobKind,
    bundle: Bundle,
    task: Task | None,
    job_input: dict[str, Any],
) -> JobPlan:
    """The ad-hoc plan of ``kind``, or the assistant step of the task's definition. Raises
    ValidationFailedError when the task is gone or its definition has no assistant step."""
    if kind != TASK_STEP:
        return plan_for_ad_hoc(kind, job_input)
    if task is None:
        raise ValidationFailedError("the job's task no longer exists", {"field": "task_id"})
    template = definitions.find(bundle)
    definition = template.task(task.template_task_ref) if template else None
    if definition is None or definition.assistant is None:
        raise ValidationFailedError(
            f"task {task.task_id!r} has no assistant step in template {bundle.template_id!r}",
            {"field": "task_id", "task_id": task.task_id},
        )
    return plan_for_step(definition.assistant)


def job_event(
    after: AssistantJob,
    before: AssistantJob | None,
    action: str,
    actor: str,
    at: datetime,
    new_id: Callable[[str], str],
) -> AuditEvent:
    """The audit event of one change of a job."""
    return audit_event(
        entity_type=EntityType.ASSISTANT_JOB,
        entity_id=after.job_id,
        action=action,
        actor=actor,
        at=at,
        new_id=new_id,
        before=before,
        after=after,
    )
