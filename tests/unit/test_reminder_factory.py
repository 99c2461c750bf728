"""Reminders are built in one place: deterministic IDs, task reminders go to the assignee (else the
bundle's owner) and carry the task's and bundle's titles."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.unit.test_task_rules import make_bundle, make_task
from workengine.domain.enums import ReminderKind
from workengine.domain.reminder_factory import bundle_reminder, task_reminder

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_a_task_reminder_goes_to_the_assignee_else_the_owner_with_both_titles() -> None:
    bundle = make_bundle(owner="olga", title="Close Q4")
    assigned = make_task("t_1", title="Reconcile", assignee="ali")
    unassigned = make_task("t_2", title="File", assignee=None)

    first = task_reminder(
        assigned,
        bundle,
        ReminderKind.DUE,
        occurrence="2026-12-03",
        fire_at=NOW,
        message="m",
        created_at=NOW,
        details={"due_date": "2026-12-03"},
    )
    second = task_reminder(
        unassigned, bundle, ReminderKind.DUE, occurrence=None, fire_at=NOW, message="m", created_at=NOW
    )

    assert first.reminder_id == "rem_t_1_due_2026-12-03" and first.recipient == "ali"
    assert first.details == {"task_title": "Reconcile", "bundle_title": "Close Q4", "due_date": "2026-12-03"}
    assert second.reminder_id == "rem_t_2_due" and second.recipient == "olga"
    assert (first.task_id, first.bundle_id, first.tenant_id) == ("t_1", bundle.bundle_id, bundle.tenant_id)


def test_a_bundle_reminder_derives_its_id_from_its_subject() -> None:
    by_bundle = bundle_reminder(
        "acme", "b_1", ReminderKind.RECURRING, recipient="olga", fire_at=NOW, message="m", created_at=NOW
    )
    by_job = bundle_reminder(
        "acme",
        "b_1",
        ReminderKind.AUTOMATION_FAILURE,
        subject_id="job_9",
        task_id="t_1",
        recipient="olga",
        fire_at=NOW,
        message="m",
        created_at=NOW,
    )

    assert by_bundle.reminder_id == "rem_b_1_recurring" and by_bundle.task_id is None
    assert by_job.reminder_id == "rem_job_9_automation_failure" and by_job.task_id == "t_1"
