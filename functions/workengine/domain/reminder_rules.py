"""When a task's reminders fire (pure: the time is always passed in).

A task due on date D is due by the end of D, i.e. at the start of D+1 (UTC). From that:

- ``due``: at the start of D - ``remind_before_days``, while the task is open and not yet overdue;
  occurrence = D.
- ``overdue``: once per day from the start of D+1 while the task is open; occurrence = that day. A sweep
  creates only *today's* overdue reminder, so a long outage never floods a recipient with old days.
- ``follow_up``: at ``follow_up_at`` while the task is ``waiting``; occurrence = follow_up_at.
- ``missing_evidence``: ``late_<D>`` at the start of D+1 for an open task with required proof missing;
  ``pre_<D>`` 24 h before it is due (start of D) for an ``in_progress`` task with a proof kind still
  empty, only until the task is overdue (the late one takes over then).

``reminders_due(task, now)`` lists what should exist by ``now``; ``next_fire_after(task, after)`` is the
next time anything can become due (the sweep index key). Both ignore the bundle (the sweep checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from workengine.domain.entities import Task
from workengine.domain.enums import ReminderKind, TaskStatus


@dataclass(frozen=True)
class DueReminder:
    """A reminder a task should have: ``occurrence`` makes the reminder ID deterministic."""

    kind: ReminderKind
    occurrence: str
    fire_at: datetime
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def reminder_id(subject_id: str, kind: ReminderKind | str, occurrence: str | None = None) -> str:
    """``rem_<subject>_<kind>[_<occurrence>]`` — the same inputs always give the same ID."""
    kind_value = kind.value if isinstance(kind, ReminderKind) else kind
    base = f"rem_{subject_id}_{kind_value}"
    return f"{base}_{occurrence}" if occurrence else base


def _overdue_from(task: Task) -> datetime | None:
    return start_of_day(task.due_date + timedelta(days=1)) if task.due_date else None


def _due_at(task: Task) -> datetime | None:
    if task.due_date is None:
        return None
    return start_of_day(task.due_date - timedelta(days=task.remind_before_days))


def _missing(task: Task) -> list[str]:
    return [kind.value for kind in task.missing_proof()]


def _candidates(task: Task) -> list[DueReminder]:
    """Every one-shot reminder the task's current state implies, whatever the time."""
    if not task.status.is_open:
        return []
    found: list[DueReminder] = []
    due_at, overdue_from = _due_at(task), _overdue_from(task)
    if task.due_date is not None and due_at is not None and overdue_from is not None:
        due = task.due_date.isoformat()
        found.append(
            DueReminder(
                ReminderKind.DUE,
                due,
                due_at,
                f"{task.title!r} is due on {due}",
                {"due_date": due},
            )
        )
        missing = _missing(task)
        if missing:
            found.append(
                DueReminder(
                    ReminderKind.MISSING_EVIDENCE,
                    f"late_{due}",
                    overdue_from,
                    f"{task.title!r} is past its due date {due} and still lacks proof: {', '.join(missing)}",
                    {"due_date": due, "missing": missing},
                )
            )
            if task.status is TaskStatus.IN_PROGRESS:
                found.append(
                    DueReminder(
                        ReminderKind.MISSING_EVIDENCE,
                        f"pre_{due}",
                        overdue_from - timedelta(hours=24),
                        f"{task.title!r} is due within 24 hours and still lacks proof: {', '.join(missing)}",
                        {"due_date": due, "missing": missing},
                    )
                )
    if task.status is TaskStatus.WAITING and task.follow_up_at is not None:
        at = task.follow_up_at.astimezone(UTC)
        found.append(
            DueReminder(
                ReminderKind.FOLLOW_UP,
                at.strftime("%Y%m%dT%H%M%SZ"),
                at,
                f"follow up on {task.title!r}: waiting for {task.waiting_for}",
                {"waiting_for": task.waiting_for, "follow_up_at": at.isoformat().replace("+00:00", "Z")},
            )
        )
    return found


def _still_applies(reminder: DueReminder, overdue_from: datetime | None, now: datetime) -> bool:
    """``due`` and ``pre_`` evidence reminders are about an upcoming date; once overdue they are moot."""
    upcoming = reminder.kind is ReminderKind.DUE or reminder.occurrence.startswith("pre_")
    return not (upcoming and overdue_from is not None and now >= overdue_from)


def reminders_due(task: Task, now: datetime) -> list[DueReminder]:
    """The reminders that should exist for ``task`` at ``now`` (the sweep creates the missing ones);
    none while the task is snoozed (what fell due meanwhile is created when the snooze ends)."""
    if task.snoozed_until is not None and now < task.snoozed_until:
        return []
    overdue_from = _overdue_from(task)
    result = [r for r in _candidates(task) if r.fire_at <= now and _still_applies(r, overdue_from, now)]
    if task.status.is_open and overdue_from is not None and now >= overdue_from and task.due_date:
        today = now.astimezone(UTC).date()
        days = (today - task.due_date).days
        result.append(
            DueReminder(
                ReminderKind.OVERDUE,
                today.isoformat(),
                start_of_day(today),
                f"{task.title!r} is overdue by {days} day(s) (due {task.due_date.isoformat()})",
                {"due_date": task.due_date.isoformat(), "days_overdue": days},
            )
        )
    return result


def next_fire_after(task: Task, after: datetime | None) -> datetime | None:
    """The earliest time > ``after`` (any time when None) at which a reminder of ``task`` falls due;
    None when the task can never fire again in its current state (closed, no dates). A snoozed task's
    next time is never before the end of its snooze, when the sweep ends the snooze."""
    if not task.status.is_open:
        return None
    until = task.snoozed_until
    if until is not None and (after is None or after < until):
        return until
    overdue_from = _overdue_from(task)
    times = [
        r.fire_at
        for r in _candidates(task)
        if (after is None or r.fire_at > after) and _still_applies(r, overdue_from, r.fire_at)
    ]
    if overdue_from is not None:
        if after is None or after < overdue_from:
            times.append(overdue_from)
        else:
            times.append(start_of_day(after.astimezone(UTC).date() + timedelta(days=1)))
    return min(times) if times else None


def index_time(task: Task) -> datetime | None:
    """Where a freshly written task sits in the sweep index: its first reminder time, but never before
    the day of its last change, so a task re-written long after its first reminder still lands in a
    bucket the sweep looks at (the sweep re-derives everything due, and existing IDs are skipped)."""
    first = next_fire_after(task, None)
    if first is None:
        return None
    floor = start_of_day(task.updated_at.astimezone(UTC).date())
    return max(first, floor)
