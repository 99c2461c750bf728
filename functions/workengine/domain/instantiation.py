"""Template → bundle and tasks (pure: time and IDs are injected)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from workengine.domain.condition_rules import (
    has_time_conditions,
    next_condition_check,
    reevaluate_conditions,
)
from workengine.domain.due_dates import due_date_from
from workengine.domain.entities import ApprovalGate, Bundle, RequiredLinkState, Task, today_utc
from workengine.domain.enums import ProofKind, TaskStatus
from workengine.domain.fields import initial_fields, resolve_inputs
from workengine.domain.progress import derive_progress
from workengine.domain.rendering import render_strict
from workengine.domain.template import TaskDefinition, WorkflowTemplate

USER_PREFIX = "user:"


@dataclass(frozen=True)
class NewBundleRequest:
    template_id: str
    title: str
    anchor_date: date
    references: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    assignees: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    # Set by whoever must find the bundle again by its origin (an event); otherwise a new ID is made.
    bundle_id: str | None = None


@dataclass(frozen=True)
class InstantiatedBundle:
    bundle: Bundle
    tasks: list[Task]


def resolve_assignee(default_assignee: str | None, assignees: dict[str, str], owner: str) -> str:
    """``user:<id>`` is a literal user; anything else is a role looked up in ``assignees``.

    A role the bundle did not map falls back to the bundle owner, so no task is ever unassigned.
    """
    if default_assignee is None:
        return owner
    if default_assignee.startswith(USER_PREFIX):
        return default_assignee[len(USER_PREFIX) :]
    return assignees.get(default_assignee, owner)


def task_title(pattern: str, inputs: dict[str, Any]) -> str:
    """A task title with ``{{ inputs.<key> }}`` filled in (the validator allows only inputs that always
    have a value: required or defaulted)."""
    if "{{" not in pattern:
        return pattern
    return render_strict(pattern, {"inputs": inputs})


def included_definitions(template: WorkflowTemplate, tags: list[str]) -> list[TaskDefinition]:
    """Task definitions of the paths this bundle takes (``include_when_tag`` gates optional paths)."""
    tag_set = set(tags)
    return [d for d in template.tasks if d.include_when_tag is None or d.include_when_tag in tag_set]


def _proof_required(definition: TaskDefinition) -> list[ProofKind]:
    kinds = list(definition.proof_required)
    if definition.approval is not None and ProofKind.APPROVAL not in kinds:
        kinds.append(ProofKind.APPROVAL)
    return kinds


def _approval_gate(definition: TaskDefinition, task_ids: dict[str, str]) -> ApprovalGate | None:
    """The definition's approval rule with ``on_reject`` turned into the rework task's ID (None when
    that task is not part of this bundle)."""
    rule = definition.approval
    if rule is None:
        return None
    return ApprovalGate(
        approvers=rule.approver_list(),
        required=rule.required,
        allow_self=rule.allow_self,
        on_reject=task_ids.get(rule.on_reject) if rule.on_reject else None,
    )


def instantiate_bundle(
    template: WorkflowTemplate,
    request: NewBundleRequest,
    *,
    tenant_id: str,
    actor: str,
    now: datetime,
    new_id: Callable[[str], str],
) -> InstantiatedBundle:
    """Raises ValidationFailedError (``details.field`` = ``inputs.<key>``) for invalid kick-off inputs."""
    inputs = resolve_inputs(template.inputs, request.inputs)
    owner = request.assignees.get(template.owner_role, actor)
    bundle_id = request.bundle_id or new_id("b")
    definitions = included_definitions(template, request.tags)
    task_ids = {d.key: new_id("t") for d in definitions}

    tasks: list[Task] = []
    for position, definition in enumerate(definitions):
        # A task counting from an optional task this bundle leaves out counts from the anchor instead.
        anchored_to = task_ids.get(definition.offset_from) if definition.offset_from else None
        due = (
            None
            if anchored_to
            else due_date_from(request.anchor_date, definition.offset_days, definition.business_days)
        )
        tasks.append(
            Task(
                task_id=task_ids[definition.key],
                bundle_id=bundle_id,
                tenant_id=tenant_id,
                template_id=template.template_id,
                template_task_ref=definition.key,
                position=position,
                title=task_title(definition.title, inputs),
                description=definition.description,
                phase=definition.phase,
                assignee=resolve_assignee(definition.default_assignee, request.assignees, owner),
                due_date=due,
                offset_from=anchored_to,
                offset_days=definition.offset_days,
                business_days=definition.business_days,
                remind_before_days=definition.remind_before_days,
                status=TaskStatus.TODO,
                proof_required=_proof_required(definition),
                instruction_doc_id=definition.instruction_doc_id,
                instruction_step_id=definition.instruction_step_id,
                systems=list(definition.systems),
                validation=definition.validation,
                instructions_url=None if definition.instruction_doc_id else definition.instructions_url,
                depends_on=[task_ids[key] for key in definition.depends_on if key in task_ids],
                has_assistant=definition.assistant is not None,
                approval=_approval_gate(definition, task_ids),
                escalate_after_days=template.escalate_after_days if template.escalate_to else None,
                escalate_to=template.escalate_to if template.escalate_after_days is not None else None,
                field_specs=list(definition.fields),
                fields=initial_fields(definition.fields),
                tags=list(definition.tags),
                version=1,
                created_at=now,
                updated_at=now,
            )
        )

    bundle = Bundle(
        bundle_id=bundle_id,
        tenant_id=tenant_id,
        template_id=template.template_id,
        template_version=template.pinned_version,
        title=request.title,
        anchor_date=request.anchor_date,
        stage=template.phases[0].id,
        references=dict(request.references),
        required_links=[
            RequiredLinkState(name=link.name, title=link.title, url=request.references.get(link.name))
            for link in template.required_links
        ],
        tags=list(dict.fromkeys([*template.tags, *request.tags])),
        assignees=dict(request.assignees),
        inputs=inputs,
        owner=owner,
        created_by=actor,
        version=1,
        created_at=now,
        updated_at=now,
    )
    # Conditions decide at once what they can: tasks whose condition is not met start skipped.
    decided = reevaluate_conditions(template, bundle, tasks, today=today_utc(now), now=now)
    tasks = [
        decided[t.task_id].model_copy(update={"version": 1}) if t.task_id in decided else t for t in tasks
    ]
    bundle.stage, bundle.status = derive_progress(template.phase_ids(), tasks)
    if has_time_conditions(template):
        bundle.conditions_due_at = next_condition_check(now)
    return InstantiatedBundle(bundle=bundle, tasks=tasks)
