"""Task actions (pure): snooze, escalate, reassign, skip — and the sweep's automatic escalation and
snooze ending. Time is always passed in.

Targets (``to``) are ``user:<id>`` or a role the bundle's ``assignees`` map names; an unmapped role is
refused rather than guessed, since the caller asked for someone specific.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from workengine.domain.entities import Bundle, Escalation, Reminder, Task
from workengine.domain.enums import ReminderKind, TaskStatus
from workengine.domain.errors import InvalidTransitionError, ValidationFailedError
from workengine.domain.instantiation import USER_PREFIX
from workengine.domain.reminder_factory import task_reminder
from workengine.domain.reminder_rules import start_of_day
from workengine.domain.versioning import next_version

MAX_SNOOZE = timedelta(days=90)
SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class Snooze:
    until: datetime
    reason: str | None = None


@dataclass(frozen=True)
class Escalate:
    to: str
    reason: str


@dataclass(frozen=True)
class Reassign:
    to: str


@dataclass(frozen=True)
class Skip:
    reason: str


TaskAction = Snooze | Escalate | Reassign | Skip


@dataclass(frozen=True)
class ActionOutcome:
    task: Task
    audit_action: str
    reminders: list[Reminder]


def resolve_target(to: str, bundle: Bundle) -> str:
    """``user:<id>`` → id; a role → the bundle's assignee for it. Raises ValidationFailedError."""
    if to.startswith(USER_PREFIX) and len(to) > len(USER_PREFIX):
        return to[len(USER_PREFIX) :]
    user = bundle.assignees.get(to)
    if user is None:
        raise ValidationFailedError(
            f"{to!r} is neither 'user:<id>' nor a role of this bundle's assignees",
            {"field": "to", "roles": sorted(bundle.assignees)},
        )
    return user


def apply_action(
    task: Task, action: TaskAction, *, bundle: Bundle, actor: str, now: datetime
) -> ActionOutcome:
    """The task after ``action`` (version bumped) with the reminders it sends. Raises
    InvalidTransitionError (the task is done or skipped) and ValidationFailedError (bad target, a
    snooze not in the future or more than 90 days ahead, a blank reason)."""
    if not task.status.is_open:
        raise InvalidTransitionError(
            f"a {task.status.value} task takes no actions", {"status": task.status.value}
        )
    updated = task.model_copy(deep=True)
    updated.version = next_version(task)
    updated.updated_at = now
    reminders: list[Reminder] = []
    if isinstance(action, Snooze):
        updated.snoozed_until = _snooze_until(action.until, now)
        name = "snoozed"
    elif isinstance(action, Escalate):
        target = resolve_target(action.to, bundle)
        escalation = Escalation(to=target, by=actor, reason=_reason(action.reason), at=now)
        updated.escalations.append(escalation)
        reminders.append(escalation_reminder(updated, bundle, escalation))
        name = "escalated"
    elif isinstance(action, Reassign):
        updated.assignee = resolve_target(action.to, bundle)
        name = "reassigned"
    else:
        updated.status = TaskStatus.SKIPPED
        updated.skip_reason = _reason(action.reason)
        updated.snoozed_until = None
        name = "skipped"
    return ActionOutcome(updated, name, reminders)


def _reason(text: str) -> str:
    reason = text.strip()
    if not reason:
        raise ValidationFailedError("a reason is required", {"field": "reason"})
    return reason


def _snooze_until(until: datetime, now: datetime) -> datetime:
    # Whole seconds: stored timestamps then compare correctly as strings (the snoozed-task filter).
    until = until.astimezone(UTC).replace(microsecond=0)
    if until <= now:
        raise ValidationFailedError("a snooze must end in the future", {"field": "until"})
    if until - now > MAX_SNOOZE:
        raise ValidationFailedError("a snooze lasts at most 90 days", {"field": "until"})
    return until


def escalation_reminder(task: Task, bundle: Bundle, escalation: Escalation) -> Reminder:
    stamp = f"L{escalation.level}" if escalation.level else escalation.at.strftime("%Y%m%dT%H%M%S%fZ")
    return task_reminder(
        task,
        bundle,
        ReminderKind.ESCALATION,
        occurrence=f"{stamp}_{escalation.to}",
        fire_at=escalation.at,
        recipient=escalation.to,
        message=f"{task.title!r} in {bundle.title!r} was escalated to you: {escalation.reason}",
        details={
            "by": escalation.by,
            "reason": escalation.reason,
            "level": escalation.level,
        },
        created_at=escalation.at,
    )


def is_snoozed(task: Task, now: datetime) -> bool:
    return task.snoozed_until is not None and now < task.snoozed_until


def end_snooze(task: Task, bundle: Bundle, now: datetime) -> tuple[Task, Reminder] | None:
    """For the sweep: a snooze whose time has come ends, and the assignee hears about it once (the ID
    names the snooze's end). None while the task is not snoozed or still is."""
    until = task.snoozed_until
    if until is None or now < until or not task.status.is_open:
        return None
    ended = task.model_copy(update={"snoozed_until": None, "version": next_version(task), "updated_at": now})
    reminder = task_reminder(
        task,
        bundle,
        ReminderKind.SNOOZE_ENDED,
        occurrence=until.strftime("%Y%m%dT%H%M%SZ"),
        fire_at=until,
        message=f"{task.title!r} in {bundle.title!r} is back from its snooze",
        details={"snoozed_until": until.isoformat()},
        created_at=now,
    )
    return ended, reminder


AUTO_ESCALATION_LEVEL = 1


def _overdue_reason(due: date, threshold_days: int, now: datetime) -> str:
    """How late the task is when the sweep escalates it (a sweep that ran late says so), and the rule."""
    days = (now.astimezone(UTC).date() - due).days
    return (
        f"overdue by {days} day{'' if days == 1 else 's'} (due {due.isoformat()}; "
        f"the template escalates after {threshold_days})"
    )


def auto_escalate(task: Task, bundle: Bundle, now: datetime) -> tuple[Task, Reminder] | None:
    """For the sweep: escalate once (level 1) when an open task is ``escalate_after_days`` overdue and its
    template names ``escalate_to``. None when nothing is due or it was escalated at that level already."""
    if task.escalate_after_days is None or task.escalate_to is None or task.due_date is None:
        return None
    if not task.status.is_open or is_snoozed(task, now):
        return None
    if any(e.level == AUTO_ESCALATION_LEVEL for e in task.escalations):
        return None
    due_from = start_of_day(task.due_date + timedelta(days=1 + task.escalate_after_days))
    if now < due_from:
        return None
    target = bundle.assignees.get(task.escalate_to, bundle.owner)
    escalation = Escalation(
        to=target,
        by=SYSTEM_ACTOR,
        reason=_overdue_reason(task.due_date, task.escalate_after_days, now),
        at=now,
        level=AUTO_ESCALATION_LEVEL,
    )
    escalated = task.model_copy(deep=True)
    escalated.escalations.append(escalation)
    escalated.version = next_version(task)
    escalated.updated_at = now
    return escalated, escalation_reminder(escalated, bundle, escalation)
