"""When each reminder kind falls due, and where a task sits in the sweep index (pure, no AWS)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from workengine.domain.entities import Proof, Task
from workengine.domain.enums import ProofKind, ReminderKind, TaskStatus
from workengine.domain.reminder_rules import index_time, next_fire_after, reminder_id, reminders_due
from workengine.domain.schedules import due_occurrences, scheduled_bundle_id

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def at(day: int, hour: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def task(**overrides: Any) -> Task:
    data: dict[str, Any] = {
        "task_id": "t_1",
        "bundle_id": "b_1",
        "tenant_id": "acme",
        "template_id": "tpl",
        "template_task_ref": "draft",
        "title": "Draft",
        "phase": "plan",
        "assignee": "mia",
        "due_date": date(2026, 12, 10),
        "remind_before_days": 2,
        "created_at": T0,
        "updated_at": T0,
    }
    data.update(overrides)
    return Task.model_validate(data)


def kinds(found: list[Any]) -> list[tuple[str, str]]:
    return sorted((r.kind.value, r.occurrence) for r in found)


def test_due_reminder_fires_at_start_of_due_date_minus_remind_before_days() -> None:
    assert reminders_due(task(), at(7, 23)) == []
    assert kinds(reminders_due(task(), at(8))) == [("due", "2026-12-10")]
    assert reminders_due(task(), at(8))[0].fire_at == at(8)


def test_overdue_repeats_daily_once_per_day_and_only_for_today() -> None:
    # Given a task due on the 10th (overdue from the start of the 11th)
    assert kinds(reminders_due(task(), at(10, 23))) == [("due", "2026-12-10")]
    # Then on the 11th: overdue for that day; the due reminder is moot now
    assert kinds(reminders_due(task(), at(11, 5))) == [("overdue", "2026-12-11")]
    # And on the 14th only the 14th's overdue exists, not the missed days
    assert kinds(reminders_due(task(), at(14, 5))) == [("overdue", "2026-12-14")]


def test_missing_evidence_after_due_and_24h_before_due_when_in_progress() -> None:
    proofless = task(proof_required=[ProofKind.URL, ProofKind.COMMENT], proof=Proof(comment="ok"))
    assert kinds(reminders_due(proofless, at(11))) == [
        ("missing_evidence", "late_2026-12-10"),
        ("overdue", "2026-12-11"),
    ]
    working = proofless.model_copy(update={"status": TaskStatus.IN_PROGRESS})
    assert kinds(reminders_due(working, at(9, 23))) == [("due", "2026-12-10")]
    assert kinds(reminders_due(working, at(10))) == [
        ("due", "2026-12-10"),
        ("missing_evidence", "pre_2026-12-10"),
    ]
    assert reminders_due(working, at(10))[1].details["missing"] == ["url"]
    complete = working.model_copy(update={"proof": Proof(url="https://x.example", comment="ok")})
    assert kinds(reminders_due(complete, at(10))) == [("due", "2026-12-10")]


def test_follow_up_for_waiting_tasks_names_the_waiting_party() -> None:
    waiting = task(status=TaskStatus.WAITING, waiting_for="legal", follow_up_at=at(5, 15), due_date=None)
    assert reminders_due(waiting, at(5, 14)) == []
    [follow_up] = reminders_due(waiting, at(5, 15))
    assert (follow_up.kind, follow_up.occurrence) == (ReminderKind.FOLLOW_UP, "20261205T150000Z")
    assert follow_up.details["waiting_for"] == "legal"


def test_closed_tasks_have_no_reminders_and_leave_the_index() -> None:
    done = task(status=TaskStatus.DONE)
    assert reminders_due(done, at(20)) == []
    assert next_fire_after(done, None) is None and index_time(done) is None


def test_next_fire_after_walks_due_then_daily_overdue() -> None:
    t = task()
    assert next_fire_after(t, None) == at(8)
    assert next_fire_after(t, at(8)) == at(11)
    assert next_fire_after(t, at(11, 3)) == at(12)


def test_index_time_is_never_before_the_day_of_the_last_change() -> None:
    changed_late = task(updated_at=at(13, 17))
    assert index_time(changed_late) == at(13)
    assert index_time(task()) == at(8)


def test_reminder_ids_are_deterministic() -> None:
    assert reminder_id("t_1", ReminderKind.OVERDUE, "2026-12-11") == "rem_t_1_overdue_2026-12-11"
    assert reminder_id("j_9", "automation_failure") == "rem_j_9_automation_failure"


def test_due_occurrences_catch_up_is_bounded() -> None:
    first = datetime(2026, 2, 1, 8, tzinfo=UTC)
    due = due_occurrences("0 8 1 * *", first, datetime(2026, 5, 2, tzinfo=UTC), catch_up_limit=1)
    assert due.run == [datetime(2026, 4, 1, 8, tzinfo=UTC), datetime(2026, 5, 1, 8, tzinfo=UTC)]
    assert due.skipped == 2
    assert due.next_occurrence == datetime(2026, 6, 1, 8, tzinfo=UTC)
    none_yet = due_occurrences("0 8 1 * *", first, datetime(2026, 2, 1, 7, 59, tzinfo=UTC), 1)
    assert none_yet.run == [] and none_yet.next_occurrence == first
    assert scheduled_bundle_id("newsletter-issue", first) == "b_newsletter-issue_20260201T0800Z"
