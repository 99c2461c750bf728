"""Readable email for a reminder, and for the daily digest (plain text: every client shows it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from workengine.domain.entities import Bundle, Reminder, Task
from workengine.domain.enums import ReminderKind

SUBJECT_PREFIX = "[work engine]"

_HEADLINES: dict[ReminderKind, str] = {
    ReminderKind.DUE: "Due soon",
    ReminderKind.OVERDUE: "Overdue",
    ReminderKind.FOLLOW_UP: "Follow up",
    ReminderKind.MISSING_EVIDENCE: "Proof missing",
    ReminderKind.RECURRING: "New run",
    ReminderKind.STAGE_CHANGE: "New stage",
    ReminderKind.AUTOMATION_FAILURE: "Automation failed",
    ReminderKind.APPROVAL_REQUESTED: "Approval requested",
    ReminderKind.REWORK: "Rework needed",
    ReminderKind.ESCALATION: "Escalated to you",
    ReminderKind.SNOOZE_ENDED: "Back from snooze",
}

_ACTIONS: dict[ReminderKind, str] = {
    ReminderKind.DUE: "Finish the task by its due date, with the proof it asks for.",
    ReminderKind.OVERDUE: "The due date has passed: finish the task now, or snooze, reassign or escalate it.",
    ReminderKind.FOLLOW_UP: "Check on what the task is waiting for, then update its status.",
    ReminderKind.MISSING_EVIDENCE: "Attach the missing proof so the task can be completed.",
    ReminderKind.RECURRING: "A scheduled run started: look at its first tasks.",
    ReminderKind.STAGE_CHANGE: "The bundle moved to a new stage: the tasks of this stage are yours.",
    ReminderKind.AUTOMATION_FAILURE: "An automated step failed: read why, then retry it or do it by hand.",
    ReminderKind.APPROVAL_REQUESTED: "Approve or reject the task.",
    ReminderKind.REWORK: "Your finished work was rejected: rework it and complete the task again.",
    ReminderKind.ESCALATION: "The task was escalated to you: get it moving or reassign it.",
    ReminderKind.SNOOZE_ENDED: "The snooze is over: the task needs attention again.",
}


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def reminder_email(reminder: Reminder, task: Task | None, bundle: Bundle | None) -> Email:
    """Subject and body naming the task, the bundle, the due date, what to do and the instructions."""
    task_title = task.title if task else str(reminder.details.get("task_title") or "")
    bundle_title = bundle.title if bundle else str(reminder.details.get("bundle_title") or "")
    headline = _HEADLINES.get(reminder.kind, reminder.kind.value)
    subject_what = task_title or bundle_title or reminder.kind.value
    subject = f"{SUBJECT_PREFIX} {headline}: {subject_what}"
    if task_title and bundle_title:
        subject += f" ({bundle_title})"
    lines = ["Hello,", ""]
    if reminder.message:
        lines += [reminder.message, ""]
    if task_title:
        lines.append(f"Task: {task_title}")
    if bundle_title:
        lines.append(f"Bundle: {bundle_title}")
    if task is not None:
        lines.append(f"Due: {task.due_date.isoformat() if task.due_date else 'no due date'}")
        lines.append(f"Status: {task.status.value}")
        if task.waiting_for:
            lines.append(f"Waiting for: {task.waiting_for}")
    lines += ["", f"What to do: {_ACTIONS.get(reminder.kind, 'Open the task in the work engine.')}"]
    if task is not None:
        missing = task.missing_proof()
        if missing:
            lines.append(f"Proof still needed: {', '.join(kind.value for kind in missing)}")
        if task.instructions_url:
            lines.append(f"Instructions: {task.instructions_url}")
    lines += [
        "",
        f"Reminder {reminder.reminder_id} ({reminder.kind.value}), task {reminder.task_id or '-'}, "
        f"bundle {reminder.bundle_id}.",
    ]
    return Email(subject=subject, body="\n".join(lines) + "\n")


@dataclass(frozen=True)
class DigestLine:
    task_id: str
    title: str
    bundle_title: str
    due_date: date | None
    waiting_for: str | None = None


@dataclass(frozen=True)
class DigestContent:
    overdue: Sequence[DigestLine]
    due_today: Sequence[DigestLine]
    waiting: Sequence[DigestLine]

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.due_today or self.waiting)


def digest_email(day: date, content: DigestContent) -> Email:
    counts = (
        f"{len(content.overdue)} overdue, {len(content.due_today)} due today, {len(content.waiting)} waiting"
    )
    lines = ["Hello,", "", f"Your open work on {day.isoformat()}: {counts}.", ""]
    for title, items in (
        ("Overdue", content.overdue),
        ("Due today", content.due_today),
        ("Waiting", content.waiting),
    ):
        lines.append(f"{title} ({len(items)}):")
        for item in items:
            extra = f" - waiting for {item.waiting_for}" if item.waiting_for else ""
            due = item.due_date.isoformat() if item.due_date else "no due date"
            lines.append(f"  - {item.title} ({item.bundle_title}), due {due}{extra} [{item.task_id}]")
        if not items:
            lines.append("  (none)")
        lines.append("")
    return Email(
        subject=f"{SUBJECT_PREFIX} Your daily digest for {day.isoformat()}: {counts}", body="\n".join(lines)
    )
