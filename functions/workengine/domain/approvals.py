"""Approval decisions on a task (pure: time and IDs are injected).

Rules (contract v2, *Approvals*): only resolved approvers decide; the assignee may not approve their
own task unless ``allow_self``; one decision per approver and round; no decision before the task's
dependencies are finished; ``required`` approvals complete the task when its other proof is there; a
rejection with ``on_reject`` reopens the rework task and starts a new round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from workengine.domain.entities import Approval, ApprovalGate, Task
from workengine.domain.enums import ApprovalDecision, TaskStatus
from workengine.domain.errors import (
    AlreadyDecidedError,
    InvalidTransitionError,
    NotAnApproverError,
    SelfApprovalError,
    ValidationFailedError,
)
from workengine.domain.fields import missing_required
from workengine.domain.instantiation import USER_PREFIX
from workengine.domain.versioning import next_version


@dataclass(frozen=True)
class DecisionRequest:
    approver: str
    decision: ApprovalDecision
    comment: str | None
    approval_id: str
    at: datetime


@dataclass(frozen=True)
class ApprovalOutcome:
    approval: Approval
    task: Task  # the approval task after the decision (version bumped)
    reopened: Task | None  # the ``on_reject`` task put back to todo, when a rejection sent work back


def resolve_approvers(gate: ApprovalGate, assignees: Mapping[str, str], owner: str) -> list[str]:
    """User IDs allowed to decide, in declaration order: ``user:<id>`` literally, a role through the
    bundle's ``assignees`` (an unmapped role falls back to the bundle owner, as task assignees do)."""
    users: list[str] = []
    for entry in gate.approvers:
        user = entry[len(USER_PREFIX) :] if entry.startswith(USER_PREFIX) else assignees.get(entry, owner)
        if user not in users:
            users.append(user)
    return users


def eligible_approvers(task: Task, assignees: Mapping[str, str], owner: str) -> list[str]:
    """Approvers who may still decide in the current round (the assignee only with ``allow_self``)."""
    if task.approval is None:
        return []
    decided = {a.approver for a in task.current_approvals()}
    return [
        user
        for user in resolve_approvers(task.approval, assignees, owner)
        if user not in decided and (task.approval.allow_self or user != task.assignee)
    ]


def dependencies_finished(task: Task, siblings: Mapping[str, Task]) -> bool:
    return not blocking_dependencies(task, siblings)


def blocking_dependencies(task: Task, siblings: Mapping[str, Task]) -> list[str]:
    return [dep for dep in task.depends_on if dep in siblings and siblings[dep].status.is_open]


def decide(
    task: Task,
    request: DecisionRequest,
    *,
    assignees: Mapping[str, str],
    owner: str,
    siblings: Mapping[str, Task],
) -> ApprovalOutcome:
    """Apply one decision. Raises ValidationFailedError (reject without comment), NotAnApproverError,
    SelfApprovalError, AlreadyDecidedError and InvalidTransitionError (no approval gate, task closed,
    dependencies open)."""
    comment = (request.comment or "").strip() or None
    if request.decision is ApprovalDecision.REJECT and comment is None:
        raise ValidationFailedError("a rejection needs a comment", {"field": "comment"})
    gate = task.approval
    if gate is None:
        raise InvalidTransitionError("this task has no approval step", {"task_id": task.task_id})
    if request.approver not in resolve_approvers(gate, assignees, owner):
        raise NotAnApproverError("you are not one of this task's approvers", {"approvers": gate.approvers})
    if request.approver == task.assignee and not gate.allow_self:
        raise SelfApprovalError("the task's assignee cannot approve it", {"assignee": task.assignee})
    earlier = next((a for a in task.current_approvals() if a.approver == request.approver), None)
    if earlier is not None:
        raise AlreadyDecidedError(
            "you already decided on this task",
            {"approval_id": earlier.approval_id, "decision": earlier.decision.value},
        )
    if not task.status.is_open:
        raise InvalidTransitionError(
            f"a {task.status.value} task takes no more decisions", {"status": task.status.value}
        )
    blocking = blocking_dependencies(task, siblings)
    if blocking:
        raise InvalidTransitionError(
            "the task cannot be decided while a dependency is still open", {"blocking_task_ids": blocking}
        )

    approval = Approval(
        approval_id=request.approval_id,
        tenant_id=task.tenant_id,
        bundle_id=task.bundle_id,
        task_id=task.task_id,
        approver=request.approver,
        decision=request.decision,
        comment=comment,
        at=request.at,
        round=task.approval_round,
    )
    updated = task.model_copy(deep=True)
    updated.approvals.append(approval)
    updated.version = next_version(task)
    updated.updated_at = request.at
    reopened: Task | None = None
    if request.decision is ApprovalDecision.APPROVE:
        # Approvals complete the task only when its other proof and its required fields are there too.
        if (
            updated.approved
            and not updated.missing_proof()
            and not missing_required(updated.field_specs, updated.fields)
        ):
            updated.status = TaskStatus.DONE
            updated.completed_at = request.at
            updated.completed_by = request.approver
    elif gate.on_reject is not None and gate.on_reject in siblings:
        reopened = reopen_for_rework(siblings[gate.on_reject], request.at)
        updated.approval_round += 1
    return ApprovalOutcome(approval=approval, task=updated, reopened=reopened)


def reopen_for_rework(task: Task, now: datetime) -> Task:
    """The rework task back to ``todo`` with its completion cleared (its proof stays as evidence)."""
    return task.model_copy(
        update={
            "status": TaskStatus.TODO,
            "completed_at": None,
            "completed_by": None,
            "waiting_for": None,
            "follow_up_at": None,
            "version": next_version(task),
            "updated_at": now,
        }
    )


def newly_actionable(before: Mapping[str, Task] | None, after: Sequence[Task]) -> list[Task]:
    """Open approval tasks whose dependencies are all finished after a change and were not before
    (or whose round changed): each approver is asked once per such moment. ``before`` None: a new
    bundle, where approval tasks without open dependencies are actionable from the start."""
    by_id = {task.task_id: task for task in after}
    found: list[Task] = []
    for task in after:
        if task.approval is None or not task.status.is_open or not dependencies_finished(task, by_id):
            continue
        previous = before.get(task.task_id) if before is not None else None
        if previous is not None and before is not None:
            was_actionable = previous.status.is_open and dependencies_finished(previous, before)
            if was_actionable and previous.approval_round == task.approval_round:
                continue
        found.append(task)
    return found
