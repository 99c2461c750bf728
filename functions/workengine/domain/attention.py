"""What needs attention now: a documented score per open task (pure; the time is passed in).

Each factor adds points and one human-readable reason (docs/insight.md, "Attention"):

=========================  ==============================================================  ==========
factor                     when                                                            points
=========================  ==============================================================  ==========
``overdue``                due date passed                                                 10 per day
                                                                                           (≤ 30 days)
``blocks``                 open tasks of the bundle that depend on it                      8 each
``follow_up_due``          waiting, and its ``follow_up_at`` has come                      25
``missing_evidence``       due within 2 days (or overdue) with required proof missing      15
``escalated``              escalated to the caller (scope ``me``) or to anyone (``tenant``) 40
``stage_behind``           in the bundle's current stage, whose last due date has passed   20
``due_soon``               due today or within 2 days (not yet overdue)                    5
=========================  ==============================================================  ==========

Snoozed tasks (``snoozed_until`` in the future), closed tasks and tasks of bundles that are not active
are left out. Items rank by score, then by due date (none last), then by task ID.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from workengine.domain.entities import Bundle, Task
from workengine.domain.enums import BundleStatus, TaskStatus

OVERDUE_POINTS_PER_DAY = 10
OVERDUE_DAYS_CAP = 30
BLOCKS_POINTS_EACH = 8
FOLLOW_UP_POINTS = 25
MISSING_EVIDENCE_POINTS = 15
MISSING_EVIDENCE_WINDOW_DAYS = 2
ESCALATED_POINTS = 40
STAGE_BEHIND_POINTS = 20
DUE_SOON_POINTS = 5
DUE_SOON_WINDOW_DAYS = 2


@dataclass(frozen=True)
class AttentionScore:
    """``factors`` maps each factor that applied to its points; ``reasons`` says why, in that order."""

    score: int
    reasons: list[str] = field(default_factory=list)
    factors: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AttentionItem:
    task: Task
    bundle: Bundle
    score: AttentionScore


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def stage_late_since(bundle: Bundle, tasks: Iterable[Task], today: date) -> date | None:
    """The last due date of the bundle's current stage when it has passed (the stage is behind its
    dates: by the calendar the bundle should have moved on), else None."""
    dues = [t.due_date for t in tasks if t.phase == bundle.stage and t.due_date is not None]
    if not dues:
        return None
    last = max(dues)
    return last if last < today else None


def dependents(task: Task, siblings: Iterable[Task]) -> list[Task]:
    """Open tasks of the bundle that wait for ``task`` (``depends_on`` names it)."""
    return [s for s in siblings if s.is_open and task.task_id in s.depends_on]


def score_task(
    task: Task,
    *,
    bundle: Bundle,
    siblings: Sequence[Task],
    escalation: str | None,
    now: datetime,
) -> AttentionScore:
    """The score of one open task. ``escalation`` is the reason it counts as escalated (None: it does
    not); ``siblings`` are the bundle's tasks (the task itself may be among them)."""
    today = now.astimezone(UTC).date()
    factors: dict[str, int] = {}
    reasons: list[str] = []

    def add(name: str, points: int, reason: str) -> None:
        factors[name] = points
        reasons.append(reason)

    if task.due_date is not None:
        days_left = (task.due_date - today).days
        if days_left < 0:
            days = -days_left
            add(
                "overdue",
                OVERDUE_POINTS_PER_DAY * min(days, OVERDUE_DAYS_CAP),
                f"overdue by {_plural(days, 'day')} (due {task.due_date.isoformat()})",
            )
        elif days_left <= DUE_SOON_WINDOW_DAYS:
            when = "today" if days_left == 0 else f"in {_plural(days_left, 'day')}"
            add("due_soon", DUE_SOON_POINTS, f"due {when} ({task.due_date.isoformat()})")
    waiting_on = dependents(task, siblings)
    if waiting_on:
        titles = ", ".join(repr(t.title) for t in waiting_on[:3])
        more = f" and {len(waiting_on) - 3} more" if len(waiting_on) > 3 else ""
        add(
            "blocks",
            BLOCKS_POINTS_EACH * len(waiting_on),
            f"blocks {_plural(len(waiting_on), 'task')}: {titles}{more}",
        )
    if task.status is TaskStatus.WAITING and task.follow_up_at is not None and task.follow_up_at <= now:
        add(
            "follow_up_due",
            FOLLOW_UP_POINTS,
            f"follow-up due since {task.follow_up_at.astimezone(UTC).date().isoformat()}"
            f" (waiting for {task.waiting_for})",
        )
    missing = task.missing_proof()
    if missing and task.due_date is not None and (task.due_date - today).days <= MISSING_EVIDENCE_WINDOW_DAYS:
        add(
            "missing_evidence",
            MISSING_EVIDENCE_POINTS,
            f"evidence missing near the due date: {', '.join(kind.value for kind in missing)}",
        )
    if escalation is not None:
        add("escalated", ESCALATED_POINTS, escalation)
    late_since = stage_late_since(bundle, siblings, today) if task.phase == bundle.stage else None
    if late_since is not None:
        add(
            "stage_behind",
            STAGE_BEHIND_POINTS,
            f"bundle {bundle.title!r} is behind: stage {bundle.stage!r} should have ended on"
            f" {late_since.isoformat()}",
        )
    return AttentionScore(score=sum(factors.values()), reasons=reasons, factors=factors)


def escalation_reason(task: Task, *, to: str | None) -> str | None:
    """Why the task counts as escalated: its latest escalation went to ``to`` (None: to anyone)."""
    if not task.escalations:
        return None
    latest = task.escalations[-1]
    if to is not None and latest.to != to:
        return None
    target = "you" if to is not None else latest.to
    day = latest.at.astimezone(UTC).date().isoformat()
    return f"escalated to {target} by {latest.by} on {day}: {latest.reason}"


def needs_attention(task: Task, bundle: Bundle, now: datetime) -> bool:
    """Open, awake (not snoozed) work of an active bundle."""
    snoozed = task.snoozed_until is not None and task.snoozed_until > now
    return task.is_open and not snoozed and bundle.status is BundleStatus.ACTIVE


def rank(
    candidates: Iterable[Task],
    bundles: Mapping[str, tuple[Bundle, Sequence[Task]]],
    *,
    caller: str | None,
    now: datetime,
) -> list[AttentionItem]:
    """Score every candidate whose bundle was read and that needs attention, highest first.

    ``bundles`` maps bundle IDs to the bundle and its tasks; the bundle's copy of a task wins over the
    candidate's (an index may lag the table). ``caller`` is the caller's user ID for scope ``me``: only
    tasks assigned or escalated to them are kept and only escalations to them count; None for scope
    ``tenant`` (every task is kept and any escalation counts)."""
    items: list[AttentionItem] = []
    seen: set[str] = set()
    for candidate in candidates:
        if candidate.task_id in seen or candidate.bundle_id not in bundles:
            continue
        seen.add(candidate.task_id)
        bundle, siblings = bundles[candidate.bundle_id]
        task = next((s for s in siblings if s.task_id == candidate.task_id), candidate)
        if not needs_attention(task, bundle, now):
            continue
        reason = escalation_reason(task, to=caller)
        if caller is not None and task.assignee != caller and reason is None:
            continue
        score = score_task(task, bundle=bundle, siblings=siblings, escalation=reason, now=now)
        items.append(AttentionItem(task=task, bundle=bundle, score=score))
    items.sort(
        key=lambda item: (
            -item.score.score,
            item.task.due_date or date.max,
            item.task.task_id,
        )
    )
    return items
