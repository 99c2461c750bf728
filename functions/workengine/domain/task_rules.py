"""Task transitions and their consequences for sibling tasks and the bundle (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from workengine.domain.due_dates import due_date_from
from workengine.domain.entities import Bundle, Proof, Task
from workengine.domain.enums import BundleStatus, TaskStatus
from workengine.domain.errors import (
    InvalidTransitionError,
    MissingFieldsError,
    MissingProofError,
    ValidationFailedError,
)
from workengine.domain.fields import merge_fields, missing_required
from workengine.domain.progress import CLOSED_STATUSES, derive_progress
from workengine.domain.versioning import next_version


@dataclass(frozen=True)
class ProofChange:
    """Partial proof: only the fields given are replaced."""

    fields: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskChange:
    """A partial update; ``fields_set`` tells which attributes the client sent (``None`` clears)."""

    fields_set: frozenset[str]
    status: TaskStatus | None = None
    assignee: str | None = None
    due_date: date | None = None
    waiting_for: str | None = None
    follow_up_at: datetime | None = None
    proof: ProofChange | None = None
    comment: str | None = None
    fields: dict[str, Any] | None = None
    skip_reason: str | None = None

    def sent(self, name: str) -> bool:
        return name in self.fields_set


def merge_proof(current: Proof, change: ProofChange | None, comment: str | None) -> Proof:
    data = current.model_dump()
    if change is not None:
        data.update(change.fields)
    if comment is not None:
        data["comment"] = comment
    return Proof.model_validate(data)


def apply_task_change(
    task: Task,
    change: TaskChange,
    *,
    actor: str,
    now: datetime,
    siblings: Mapping[str, Task],
) -> Task:
    """Return the task after ``change``, version bumped; the input task is not modified.

    Raises MissingProofError (done while proof is missing), MissingFieldsError (done while a required
    field is empty), InvalidTransitionError (done while a dependency is open), ValidationFailedError
    (waiting without waiting_for/follow_up_at, skipped without skip_reason, an invalid field value —
    ``details.field`` = ``fields.<key>`` — or an empty change). Changes to tasks of a closed bundle are
    refused by the caller.
    """
    if not change.fields_set:
        raise ValidationFailedError("the request changes nothing", {"fields": []})

    updated = task.model_copy(deep=True)
    if change.sent("assignee"):
        updated.assignee = change.assignee
    if change.sent("due_date"):
        updated.due_date = change.due_date
    if change.sent("waiting_for"):
        updated.waiting_for = change.waiting_for
    if change.sent("follow_up_at"):
        updated.follow_up_at = change.follow_up_at
    if change.sent("proof") or change.sent("comment"):
        updated.proof = merge_proof(task.proof, change.proof, change.comment)
    if change.sent("comment") and change.comment:
        updated.comments_count += 1
    if change.sent("fields") and change.fields:
        updated.fields = merge_fields(task.field_specs, task.fields, change.fields)

    target = change.status if change.sent("status") and change.status is not None else task.status
    updated.status = target
    if target is TaskStatus.SKIPPED:
        if change.sent("skip_reason"):
            updated.skip_reason = change.skip_reason
    else:
        updated.skip_reason = None
    _check_target_status(updated, previous=task, siblings=siblings)

    if target is TaskStatus.DONE and task.status is not TaskStatus.DONE:
        updated.completed_at = now
        updated.completed_by = actor
    elif target is not TaskStatus.DONE:
        updated.completed_at = None
        updated.completed_by = None
    if target is not TaskStatus.WAITING and task.status is TaskStatus.WAITING:
        # Leaving "waiting" ends the wait: no follow-up reminder may fire for it any more.
        if not change.sent("waiting_for"):
            updated.waiting_for = None
        if not change.sent("follow_up_at"):
            updated.follow_up_at = None

    updated.version = next_version(task)
    updated.updated_at = now
    return updated


def _check_target_status(updated: Task, *, previous: Task, siblings: Mapping[str, Task]) -> None:
    entering_skipped = updated.status is TaskStatus.SKIPPED and previous.status is not TaskStatus.SKIPPED
    if entering_skipped and not (updated.skip_reason or "").strip():
        raise ValidationFailedError(
            "a skipped task needs skip_reason", {"field": "skip_reason", "missing": ["skip_reason"]}
        )
    if updated.status is TaskStatus.WAITING:
        missing = [name for name in ("waiting_for", "follow_up_at") if not getattr(updated, name)]
        if missing:
            raise ValidationFailedError(f"a waiting task needs {' and '.join(missing)}", {"missing": missing})
    if updated.status is TaskStatus.DONE and previous.status is not TaskStatus.DONE:
        missing_proof = updated.missing_proof()
        if missing_proof:
            raise MissingProofError([kind.value for kind in missing_proof])
        missing_fields = missing_required(updated.field_specs, updated.fields)
        if missing_fields:
            raise MissingFieldsError(missing_fields)
        blocking = [dep for dep in updated.depends_on if dep in siblings and siblings[dep].status.is_open]
        if blocking:
            raise InvalidTransitionError(
                "the task cannot be done while a dependency is still open",
                {"blocking_task_ids": blocking, "from": previous.status.value, "to": updated.status.value},
            )


def reschedule_dependents(completed: Task, tasks: Sequence[Task], now: datetime) -> list[Task]:
    """Tasks whose due date counts from ``completed``'s completion, with that due date set.

    Only tasks whose due date actually changes are returned (version bumped).
    """
    if completed.status is not TaskStatus.DONE or completed.completed_at is None:
        return []
    changed: list[Task] = []
    anchor = completed.completed_at.astimezone(UTC).date()
    for task in tasks:
        if task.offset_from != completed.task_id:
            continue
        due = due_date_from(anchor, task.offset_days, task.business_days)
        if task.due_date == due:
            continue
        changed.append(
            task.model_copy(update={"due_date": due, "version": next_version(task), "updated_at": now})
        )
    return changed


@dataclass(frozen=True)
class BundleProgress:
    stage: str
    status: BundleStatus
    stage_changed: bool
    status_changed: bool


def bundle_progress_after(
    bundle: Bundle, phase_order: Sequence[str], tasks: Sequence[Task]
) -> BundleProgress:
    """Stage/status the bundle should have once ``tasks`` (the full, updated set) are stored.

    Bundles an admin cancelled or archived keep their status; only active/completed follow the tasks.
    """
    stage, status = derive_progress(phase_order, tasks)
    if bundle.status in CLOSED_STATUSES:
        status = bundle.status
    return BundleProgress(
        stage=stage,
        status=status,
        stage_changed=stage != bundle.stage,
        status_changed=status != bundle.status,
    )


def progressed_bundle(bundle: Bundle, progress: BundleProgress, now: datetime) -> Bundle:
    """The bundle once ``progress`` is stored: its stage and status, the next version, and the completion
    time stamped on completing (cleared otherwise)."""
    return bundle.model_copy(
        update={
            "stage": progress.stage,
            "status": progress.status,
            "version": next_version(bundle),
            "updated_at": now,
            "completed_at": now if progress.status is BundleStatus.COMPLETED else None,
        }
    )
