"""Task actions (pure): snooze, escalate, reassign, skip; snooze ending and automatic escalation;
reminders stay silent while a task is snoozed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.unit.test_task_rules import make_bundle, make_task
from workengine.domain.enums import ReminderKind, TaskStatus
from workengine.domain.errors import InvalidTransitionError, ValidationFailedError
from workengine.domain.reminder_rules import next_fire_after, reminders_due
from workengine.domain.task_actions import (
    Escalate,
    Reassign,
    Skip,
    Snooze,
    TaskAction,
    apply_action,
    auto_escalate,
    end_snooze,
)

NOW = datetime(2026, 12, 2, 9, 30, 15, 500_000, tzinfo=UTC)
BUNDLE = make_bundle(assignees={"lead": "lea", "owner": "olga"}, owner="olga", title="Contract")


def act(action: TaskAction, **task: object) -> object:
    return apply_action(make_task(**task), action, bundle=BUNDLE, actor="mia", now=NOW)  # type: ignore[arg-type]


def test_snooze_sets_a_whole_second_end_in_the_future() -> None:
    outcome = apply_action(make_task(), Snooze(NOW + timedelta(days=2)), bundle=BUNDLE, actor="mia", now=NOW)

    assert outcome.task.snoozed_until == datetime(2026, 12, 4, 9, 30, 15, tzinfo=UTC)
    assert outcome.audit_action == "snoozed" and outcome.reminders == []
    assert outcome.task.version == 4


@pytest.mark.parametrize("until", [NOW - timedelta(seconds=1), NOW + timedelta(days=90, seconds=2)])
def test_snooze_must_end_in_the_next_ninety_days(until: datetime) -> None:
    with pytest.raises(ValidationFailedError) as raised:
        act(Snooze(until))
    assert raised.value.details["field"] == "until"


def test_escalate_records_history_and_reminds_the_resolved_target() -> None:
    outcome = apply_action(
        make_task(), Escalate("lead", "blocked for a week"), bundle=BUNDLE, actor="mia", now=NOW
    )

    [escalation] = outcome.task.escalations
    assert (escalation.to, escalation.by, escalation.reason, escalation.at) == (
        "lea",
        "mia",
        "blocked for a week",
        NOW,
    )
    [reminder] = outcome.reminders
    assert reminder.kind is ReminderKind.ESCALATION and reminder.recipient == "lea"


def test_targets_are_users_or_mapped_roles_only() -> None:
    reassigned = apply_action(make_task(), Reassign("user:zed"), bundle=BUNDLE, actor="mia", now=NOW)

    assert reassigned.task.assignee == "zed"
    with pytest.raises(ValidationFailedError) as raised:
        act(Reassign("auditor"))
    assert raised.value.details["field"] == "to"


def test_skip_needs_a_reason_and_closes_the_task() -> None:
    outcome = apply_action(make_task(), Skip(" out of scope "), bundle=BUNDLE, actor="mia", now=NOW)

    assert outcome.task.status is TaskStatus.SKIPPED and outcome.task.skip_reason == "out of scope"
    with pytest.raises(ValidationFailedError):
        act(Skip("   "))


@pytest.mark.parametrize("status", [TaskStatus.DONE, TaskStatus.SKIPPED])
def test_closed_tasks_take_no_action(status: TaskStatus) -> None:
    with pytest.raises(InvalidTransitionError):
        act(Reassign("user:zed"), status=status)


def test_no_reminder_fires_while_snoozed_and_the_index_wakes_the_task_at_its_end() -> None:
    overdue = make_task(due_date=date(2026, 11, 20))
    snoozed = overdue.model_copy(update={"snoozed_until": NOW + timedelta(days=3)})

    assert reminders_due(overdue, NOW)
    assert reminders_due(snoozed, NOW) == []
    assert next_fire_after(snoozed, NOW) == NOW + timedelta(days=3)
    assert {r.kind for r in reminders_due(snoozed, NOW + timedelta(days=3))} >= {ReminderKind.OVERDUE}


def test_end_snooze_clears_it_once_its_time_has_come() -> None:
    until = NOW.replace(microsecond=0)
    snoozed = make_task(snoozed_until=until)

    assert end_snooze(snoozed, BUNDLE, until - timedelta(seconds=1)) is None
    ended = end_snooze(snoozed, BUNDLE, until)
    assert ended is not None
    task, reminder = ended
    assert task.snoozed_until is None and task.version == snoozed.version + 1
    assert reminder.kind is ReminderKind.SNOOZE_ENDED and reminder.recipient == "u-1"
    assert end_snooze(snoozed, BUNDLE, until + timedelta(hours=1))[1].reminder_id == reminder.reminder_id  # type: ignore[index]


def test_auto_escalation_happens_once_when_the_task_is_n_days_overdue() -> None:
    task = make_task(due_date=date(2026, 11, 28), escalate_after_days=3, escalate_to="lead")

    assert auto_escalate(task, BUNDLE, datetime(2026, 12, 1, 23, 59, tzinfo=UTC)) is None
    escalated = auto_escalate(task, BUNDLE, datetime(2026, 12, 2, 0, 0, tzinfo=UTC))
    assert escalated is not None
    after, reminder = escalated
    assert after.escalations[-1].to == "lea" and after.escalations[-1].level == 1
    assert after.escalations[-1].by == "system" and reminder.recipient == "lea"
    expected = "overdue by 4 days (due 2026-11-28; the template escalates after 3)"
    assert after.escalations[-1].reason == expected
    assert auto_escalate(after, BUNDLE, NOW + timedelta(days=5)) is None


def test_a_late_sweep_escalates_with_the_real_lateness() -> None:
    task = make_task(due_date=date(2026, 10, 28), escalate_after_days=3, escalate_to="lead")

    escalated = auto_escalate(task, BUNDLE, datetime(2026, 12, 2, 9, 0, tzinfo=UTC))

    assert escalated is not None
    assert escalated[0].escalations[-1].reason.startswith("overdue by 35 days (due 2026-10-28;")


def test_auto_escalation_skips_closed_snoozed_and_unconfigured_tasks() -> None:
    late = {"due_date": date(2026, 11, 1), "escalate_after_days": 1, "escalate_to": "lead"}

    assert auto_escalate(make_task(**late, status=TaskStatus.DONE), BUNDLE, NOW) is None
    assert auto_escalate(make_task(**late, snoozed_until=NOW + timedelta(days=1)), BUNDLE, NOW) is None
    assert auto_escalate(make_task(due_date=date(2026, 11, 1)), BUNDLE, NOW) is None
