"""Approval rules (pure): every error code, counting, completion, rejection rounds, reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.unit.test_task_rules import make_bundle, make_task
from workengine.domain.approval_reminders import approval_requested_reminders, rework_reminder
from workengine.domain.approvals import DecisionRequest, decide, newly_actionable, resolve_approvers
from workengine.domain.entities import ApprovalGate, Task
from workengine.domain.enums import ApprovalDecision, ProofKind, ReminderKind, TaskStatus
from workengine.domain.errors import (
    AlreadyDecidedError,
    InvalidTransitionError,
    NotAnApproverError,
    SelfApprovalError,
    ValidationFailedError,
)
from workengine.domain.fields import FieldSpec, FieldType

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
ASSIGNEES = {"lead": "lea", "owner": "olga"}
APPROVE, REJECT = ApprovalDecision.APPROVE, ApprovalDecision.REJECT


def gated(**gate: Any) -> tuple[Task, dict[str, Task]]:
    draft = make_task("t_draft", status=TaskStatus.DONE, completed_by="olga", completed_at=NOW)
    rule = ApprovalGate.model_validate({"approvers": ["user:ann", "user:bob", "lead"], **gate})
    task = make_task(
        "t_gate",
        assignee="olga",
        depends_on=["t_draft"],
        approval=rule,
        proof_required=[ProofKind.APPROVAL],
    )
    return task, {draft.task_id: draft, task.task_id: task}


def request(
    approver: str, decision: ApprovalDecision = APPROVE, comment: str | None = None
) -> DecisionRequest:
    return DecisionRequest(approver, decision, comment, f"ap_{approver}", NOW)


def run(task: Task, siblings: dict[str, Task], req: DecisionRequest) -> Any:
    return decide(task, req, assignees=ASSIGNEES, owner="olga", siblings={**siblings, task.task_id: task})


def test_roles_resolve_through_the_assignees_map_and_users_literally() -> None:
    gate = ApprovalGate(approvers=["user:ann", "lead", "unmapped", "user:ann"])

    assert resolve_approvers(gate, ASSIGNEES, "olga") == ["ann", "lea", "olga"]


def test_required_approvals_complete_the_task_with_the_last_approver() -> None:
    task, siblings = gated(required=2)

    first = run(task, siblings, request("ann")).task
    second = run(first, siblings, request("lea")).task

    assert first.status is TaskStatus.TODO and first.version == task.version + 1
    assert second.status is TaskStatus.DONE and second.completed_by == "lea"
    assert [a.approver for a in second.approvals] == ["ann", "lea"]


def test_approval_waits_for_other_missing_proof() -> None:
    task, siblings = gated()
    task = task.model_copy(update={"proof_required": [ProofKind.URL, ProofKind.APPROVAL]})

    after = run(task, siblings, request("ann")).task

    assert after.status is TaskStatus.TODO and after.approved
    assert after.missing_proof() == [ProofKind.URL]


def test_approval_waits_for_required_fields() -> None:
    # Given an approval task with a required field left empty
    task, siblings = gated()
    spec = FieldSpec(key="decision_note", title="Decision note", type=FieldType.TEXT, required=True)
    task = task.model_copy(update={"field_specs": [spec], "fields": {}})

    # When the one required approval arrives
    after = run(task, siblings, request("ann")).task

    # Then the task stays open until the field is recorded
    assert after.status is TaskStatus.TODO and after.approved and after.completed_at is None


@pytest.mark.parametrize(
    ("approver", "gate", "error"),
    [
        ("zed", {}, NotAnApproverError),
        ("olga", {"approvers": ["user:olga"]}, SelfApprovalError),
    ],
)
def test_who_may_decide(approver: str, gate: dict[str, Any], error: type[Exception]) -> None:
    task, siblings = gated(**gate)

    with pytest.raises(error):
        run(task, siblings, request(approver))


def test_self_approval_is_allowed_when_the_template_says_so() -> None:
    task, siblings = gated(approvers=["user:olga"], allow_self=True)

    assert run(task, siblings, request("olga")).task.status is TaskStatus.DONE


def test_a_second_decision_by_the_same_approver_is_refused() -> None:
    task, siblings = gated(required=3)
    after = run(task, siblings, request("ann")).task

    with pytest.raises(AlreadyDecidedError) as raised:
        run(after, siblings, request("ann", REJECT, "changed my mind"))
    assert raised.value.status == 409


def test_no_decision_while_a_dependency_is_open() -> None:
    task, siblings = gated()
    siblings["t_draft"] = siblings["t_draft"].model_copy(update={"status": TaskStatus.IN_PROGRESS})

    with pytest.raises(InvalidTransitionError) as raised:
        run(task, siblings, request("ann"))
    assert raised.value.details["blocking_task_ids"] == ["t_draft"]


def test_no_decision_on_a_finished_task_or_a_task_without_a_gate() -> None:
    task, siblings = gated()
    done = run(task, siblings, request("ann")).task

    with pytest.raises(InvalidTransitionError):
        run(done, siblings, request("bob"))
    with pytest.raises(InvalidTransitionError):
        run(make_task("t_plain"), siblings, request("ann"))


def test_a_rejection_needs_a_comment() -> None:
    task, siblings = gated()

    with pytest.raises(ValidationFailedError):
        run(task, siblings, request("ann", REJECT, "   "))


def test_rejection_with_on_reject_reopens_the_rework_task_and_starts_a_new_round() -> None:
    task, siblings = gated(required=2, on_reject="t_draft")
    first = run(task, siblings, request("ann")).task

    outcome = run(first, siblings, request("bob", REJECT, "numbers are off"))

    assert outcome.task.status is TaskStatus.TODO and outcome.task.approval_round == 2
    assert outcome.reopened is not None
    assert outcome.reopened.status is TaskStatus.TODO and outcome.reopened.completed_at is None
    # In the new round earlier decisions no longer count, and everyone may decide again.
    redone = {**siblings, "t_draft": outcome.reopened.model_copy(update={"status": TaskStatus.DONE})}
    again = run(outcome.task, redone, request("ann")).task
    assert not again.approved and len(again.current_approvals()) == 1


def test_rejection_without_on_reject_only_records_the_decision() -> None:
    task, siblings = gated()

    outcome = run(task, siblings, request("ann", REJECT, "no"))

    assert outcome.reopened is None and outcome.task.status is TaskStatus.TODO
    assert outcome.task.approvals[0].decision is REJECT and outcome.task.approval_round == 1


def test_a_task_becomes_actionable_once_when_its_dependencies_finish() -> None:
    task, siblings = gated()
    open_draft = siblings["t_draft"].model_copy(update={"status": TaskStatus.TODO})
    before = {"t_draft": open_draft, task.task_id: task}
    after = [siblings["t_draft"], task]

    assert newly_actionable(before, after) == [task]
    assert newly_actionable({t.task_id: t for t in after}, after) == []
    assert newly_actionable(None, [open_draft, task]) == []  # a new bundle, draft still open


def test_approval_requested_goes_to_every_approver_but_the_assignee() -> None:
    task, siblings = gated(approvers=["user:ann", "lead", "user:olga"])
    before = {"t_draft": siblings["t_draft"].model_copy(update={"status": TaskStatus.TODO}), "t_gate": task}
    bundle = make_bundle(assignees=ASSIGNEES, owner="olga")

    reminders = approval_requested_reminders(bundle, before, [siblings["t_draft"], task], NOW)

    assert sorted(r.recipient for r in reminders) == ["ann", "lea"]
    assert {r.kind for r in reminders} == {ReminderKind.APPROVAL_REQUESTED}
    assert len({r.reminder_id for r in reminders}) == 2
    later = approval_requested_reminders(bundle, before, [siblings["t_draft"], task], NOW + timedelta(1))
    assert {r.reminder_id for r in later}.isdisjoint({r.reminder_id for r in reminders})


def test_rework_reminder_goes_to_the_reopened_tasks_assignee() -> None:
    task, siblings = gated()
    reminder = rework_reminder(make_bundle(), siblings["t_draft"], task, "redo it", NOW)

    assert reminder.kind is ReminderKind.REWORK and reminder.recipient == "u-1"
    assert reminder.details["comment"] == "redo it"
