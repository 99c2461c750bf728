"""Task transitions, dependent rescheduling and bundle progress."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from workengine.domain.entities import Bundle, Proof, Task
from workengine.domain.enums import BundleStatus, ProofKind, TaskStatus
from workengine.domain.errors import InvalidTransitionError, MissingProofError, ValidationFailedError
from workengine.domain.task_rules import (
    ProofChange,
    TaskChange,
    apply_task_change,
    bundle_progress_after,
    reschedule_dependents,
)

CREATED = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
NOW = datetime(2024, 3, 8, 15, 0, tzinfo=UTC)  # a Friday
ACTOR = "u-actor"
PHASES = ["prepare", "execute", "close"]


def make_task(task_id: str = "t_1", **overrides: Any) -> Task:
    data: dict[str, Any] = {
        "task_id": task_id,
        "bundle_id": "b_1",
        "tenant_id": "tenant-a",
        "template_id": "tpl",
        "template_task_ref": task_id,
        "title": f"Task {task_id}",
        "phase": "prepare",
        "assignee": "u-1",
        "due_date": date(2024, 3, 10),
        "created_at": CREATED,
        "updated_at": CREATED,
        "version": 3,
    }
    data.update(overrides)
    return Task.model_validate(data)


def change(**kwargs: Any) -> TaskChange:
    return TaskChange(fields_set=frozenset(kwargs), **kwargs)


def apply(task: Task, ch: TaskChange, siblings: dict[str, Task] | None = None) -> Task:
    return apply_task_change(task, ch, actor=ACTOR, now=NOW, siblings=siblings or {})


def make_bundle(**overrides: Any) -> Bundle:
    data: dict[str, Any] = {
        "bundle_id": "b_1",
        "tenant_id": "tenant-a",
        "template_id": "tpl",
        "template_version": "1+0123456789ab",
        "title": "Bundle",
        "anchor_date": date(2024, 3, 1),
        "stage": "prepare",
        "owner": "u-owner",
        "created_by": ACTOR,
        "created_at": CREATED,
        "updated_at": CREATED,
    }
    data.update(overrides)
    return Bundle.model_validate(data)


# --- proof ---------------------------------------------------------------------------------------------


def test_done_refused_while_proof_missing() -> None:
    task = make_task(proof_required=[ProofKind.URL, ProofKind.COMMENT])
    result: Task | None = None
    with pytest.raises(MissingProofError) as excinfo:
        result = apply(task, change(status=TaskStatus.DONE))
    assert result is None
    assert excinfo.value.code == "MISSING_PROOF"
    assert excinfo.value.status == 422
    assert excinfo.value.details == {"missing": ["url", "comment"]}
    # the original is untouched
    assert task.status is TaskStatus.TODO
    assert task.completed_at is None and task.completed_by is None
    assert task.version == 3


def test_done_refused_lists_only_kinds_still_missing() -> None:
    task = make_task(
        proof_required=[ProofKind.URL, ProofKind.ARTIFACT, ProofKind.EXTERNAL_STATUS],
        proof=Proof(url="https://x.example"),
    )
    with pytest.raises(MissingProofError) as excinfo:
        apply(task, change(status=TaskStatus.DONE))
    assert excinfo.value.details["missing"] == ["artifact", "external_status"]


def test_whitespace_comment_is_not_proof() -> None:
    task = make_task(proof_required=[ProofKind.COMMENT])
    with pytest.raises(MissingProofError):
        apply(task, change(status=TaskStatus.DONE, comment="   "))


def test_done_accepted_with_proof_in_same_change() -> None:
    task = make_task(proof_required=[ProofKind.URL, ProofKind.ARTIFACT])
    done = apply(
        task,
        change(
            status=TaskStatus.DONE,
            proof=ProofChange({"url": "https://evidence.example", "artifact_ids": ["a_1"]}),
        ),
    )
    assert done.status is TaskStatus.DONE
    assert done.completed_at == NOW
    assert done.completed_by == ACTOR
    assert done.proof.url == "https://evidence.example"
    assert done.proof.artifact_ids == ["a_1"]
    assert done.version == 4
    # input not mutated
    assert task.status is TaskStatus.TODO
    assert task.proof.url is None


def test_proof_partial_merge_keeps_other_fields() -> None:
    task = make_task(
        proof=Proof(url="https://old.example", artifact_ids=["a_1"], comment="note", external_status="ok")
    )
    updated = apply(task, change(proof=ProofChange({"url": "https://new.example"})))
    assert updated.proof == Proof(
        url="https://new.example", artifact_ids=["a_1"], comment="note", external_status="ok"
    )
    assert updated.comments_count == 0


def test_comment_fills_proof_comment_and_counts() -> None:
    task = make_task(proof_required=[ProofKind.COMMENT], proof=Proof(url="https://keep.example"))
    done = apply(task, change(status=TaskStatus.DONE, comment="checked the totals"))
    assert done.status is TaskStatus.DONE
    assert done.proof.comment == "checked the totals"
    assert done.proof.url == "https://keep.example"
    assert done.comments_count == task.comments_count + 1


def test_comment_alone_bumps_comments_count() -> None:
    task = make_task(comments_count=2)
    updated = apply(task, change(comment="hello"))
    assert updated.comments_count == 3
    assert updated.proof.comment == "hello"
    assert updated.status is TaskStatus.TODO


# --- waiting -------------------------------------------------------------------------------------------

FOLLOW_UP = datetime(2024, 3, 12, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("extra", "missing"),
    [
        ({}, ["waiting_for", "follow_up_at"]),
        ({"waiting_for": "vendor"}, ["follow_up_at"]),
        ({"follow_up_at": FOLLOW_UP}, ["waiting_for"]),
        ({"waiting_for": "", "follow_up_at": FOLLOW_UP}, ["waiting_for"]),
    ],
)
def test_waiting_requires_waiting_for_and_follow_up(extra: dict[str, Any], missing: list[str]) -> None:
    task = make_task()
    with pytest.raises(ValidationFailedError) as excinfo:
        apply(task, change(status=TaskStatus.WAITING, **extra))
    assert excinfo.value.code == "VALIDATION_ERROR"
    assert excinfo.value.details["missing"] == missing
    for name in missing:
        assert name in excinfo.value.message


def test_waiting_accepted_and_task_stays_open() -> None:
    task = make_task()
    waiting = apply(task, change(status=TaskStatus.WAITING, waiting_for="vendor", follow_up_at=FOLLOW_UP))
    assert waiting.status is TaskStatus.WAITING
    assert waiting.is_open
    assert waiting.waiting_for == "vendor"
    assert waiting.follow_up_at == FOLLOW_UP
    assert waiting.completed_at is None


def test_waiting_fields_already_present_suffice() -> None:
    task = make_task(waiting_for="vendor", follow_up_at=FOLLOW_UP)
    waiting = apply(task, change(status=TaskStatus.WAITING))
    assert waiting.status is TaskStatus.WAITING


def test_clearing_waiting_for_while_waiting_is_refused() -> None:
    task = make_task(status=TaskStatus.WAITING, waiting_for="vendor", follow_up_at=FOLLOW_UP)
    with pytest.raises(ValidationFailedError):
        apply(task, change(waiting_for=None))


@pytest.mark.parametrize("target", [TaskStatus.IN_PROGRESS, TaskStatus.TODO, TaskStatus.DONE])
def test_leaving_waiting_clears_wait(target: TaskStatus) -> None:
    task = make_task(status=TaskStatus.WAITING, waiting_for="vendor", follow_up_at=FOLLOW_UP)
    updated = apply(task, change(status=target))
    assert updated.status is target
    assert updated.waiting_for is None
    assert updated.follow_up_at is None


# --- reopening -----------------------------------------------------------------------------------------


def test_reopening_done_clears_completion() -> None:
    task = make_task(status=TaskStatus.DONE, completed_at=CREATED, completed_by="u-1")
    reopened = apply(task, change(status=TaskStatus.IN_PROGRESS))
    assert reopened.status is TaskStatus.IN_PROGRESS
    assert reopened.completed_at is None
    assert reopened.completed_by is None
    assert reopened.is_open


def test_done_task_edit_keeps_original_completion() -> None:
    task = make_task(status=TaskStatus.DONE, completed_at=CREATED, completed_by="u-1")
    updated = apply(task, change(assignee="u-2"))
    assert updated.status is TaskStatus.DONE
    assert updated.completed_at == CREATED
    assert updated.completed_by == "u-1"
    assert updated.assignee == "u-2"


def test_skipped_has_no_completion() -> None:
    updated = apply(
        make_task(proof_required=[ProofKind.URL]),
        change(status=TaskStatus.SKIPPED, skip_reason="not needed this time"),
    )
    assert updated.status is TaskStatus.SKIPPED
    assert updated.skip_reason == "not needed this time"
    assert not updated.is_open
    assert updated.completed_at is None and updated.completed_by is None


@pytest.mark.parametrize("reason", [None, "   "])
def test_skipping_without_a_reason_is_refused(reason: str | None) -> None:
    with pytest.raises(ValidationFailedError) as refused:
        apply(make_task(), change(status=TaskStatus.SKIPPED, skip_reason=reason))
    assert refused.value.details["field"] == "skip_reason"


def test_reopening_a_skipped_task_clears_its_skip_reason() -> None:
    skipped = make_task(status=TaskStatus.SKIPPED, skip_reason="not needed")

    reopened = apply(skipped, change(status=TaskStatus.TODO))

    assert reopened.skip_reason is None


# --- dependencies --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dep_status", [TaskStatus.TODO, TaskStatus.IN_PROGRESS, TaskStatus.WAITING])
def test_done_refused_while_dependency_open(dep_status: TaskStatus) -> None:
    dep = make_task("t_dep", status=dep_status)
    task = make_task("t_2", depends_on=["t_dep"])
    with pytest.raises(InvalidTransitionError) as excinfo:
        apply(task, change(status=TaskStatus.DONE), siblings={"t_dep": dep})
    assert excinfo.value.code == "INVALID_TRANSITION"
    assert excinfo.value.details["blocking_task_ids"] == ["t_dep"]
    assert task.completed_at is None


@pytest.mark.parametrize("dep_status", [TaskStatus.DONE, TaskStatus.SKIPPED])
def test_done_allowed_when_dependency_closed(dep_status: TaskStatus) -> None:
    dep = make_task("t_dep", status=dep_status)
    task = make_task("t_2", depends_on=["t_dep"])
    done = apply(task, change(status=TaskStatus.DONE), siblings={"t_dep": dep})
    assert done.status is TaskStatus.DONE
    assert done.completed_at == NOW


def test_open_dependency_does_not_block_other_transitions() -> None:
    dep = make_task("t_dep", status=TaskStatus.TODO)
    task = make_task("t_2", depends_on=["t_dep"])
    updated = apply(task, change(status=TaskStatus.IN_PROGRESS), siblings={"t_dep": dep})
    assert updated.status is TaskStatus.IN_PROGRESS


def test_editing_done_task_is_not_blocked_by_reopened_dependency() -> None:
    """KNOWN BUG (task_rules._check_target_status): the dependency check runs whenever the resulting
    status is ``done``, not only on a transition *to* done. Once a dependency is reopened, a task that is
    already done can no longer be reassigned or commented on: the PATCH answers INVALID_TRANSITION
    (details from=done, to=done) although no transition was requested."""
    dep = make_task("t_dep", status=TaskStatus.IN_PROGRESS)  # reopened after t_2 was completed
    task = make_task(
        "t_2", depends_on=["t_dep"], status=TaskStatus.DONE, completed_at=CREATED, completed_by="u-1"
    )
    try:
        updated = apply(task, change(assignee="u-2"), siblings={"t_dep": dep})
    except InvalidTransitionError as exc:
        pytest.fail(f"BUG: reassigning an already-done task raised INVALID_TRANSITION {exc.details}")
    assert updated.assignee == "u-2"
    assert updated.status is TaskStatus.DONE


# --- versioning ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ch",
    [
        change(assignee="u-9"),
        change(assignee=None),
        change(due_date=date(2024, 4, 1)),
        change(status=TaskStatus.IN_PROGRESS),
        change(status=TaskStatus.TODO),  # same status still counts as a change
        change(comment="x"),
        change(proof=ProofChange({"external_status": "green"})),
    ],
)
def test_every_change_bumps_version_once_and_sets_updated_at(ch: TaskChange) -> None:
    task = make_task()
    updated = apply(task, ch)
    assert updated.version == task.version + 1
    assert updated.updated_at == NOW
    assert task.version == 3 and task.updated_at == CREATED


def test_fields_not_sent_are_kept_and_none_clears() -> None:
    task = make_task(assignee="u-1", due_date=date(2024, 3, 10))
    updated = apply(task, change(assignee=None))
    assert updated.assignee is None
    assert updated.due_date == date(2024, 3, 10)
    moved = apply(task, change(due_date=date(2024, 5, 1)))
    assert moved.assignee == "u-1"
    assert moved.due_date == date(2024, 5, 1)


def test_empty_change_refused() -> None:
    with pytest.raises(ValidationFailedError):
        apply(make_task(), TaskChange(fields_set=frozenset()))


# --- rescheduling dependents ---------------------------------------------------------------------------


def test_reschedule_dependents_from_completion_date() -> None:
    source = make_task("t_src", status=TaskStatus.DONE, completed_at=NOW, completed_by=ACTOR)  # Friday
    business = make_task("t_b", offset_from="t_src", offset_days=1, business_days=True, due_date=None)
    calendar = make_task("t_c", offset_from="t_src", offset_days=3, due_date=None)
    unrelated = make_task("t_u", offset_from="t_other", offset_days=1, due_date=None)
    changed = reschedule_dependents(source, [source, business, calendar, unrelated], NOW)
    by_id = {t.task_id: t for t in changed}
    assert set(by_id) == {"t_b", "t_c"}
    assert by_id["t_b"].due_date == date(2024, 3, 11)  # Fri + 1 business day = Mon
    assert by_id["t_c"].due_date == date(2024, 3, 11)  # Fri + 3 calendar days = Mon
    assert by_id["t_b"].version == business.version + 1
    assert by_id["t_b"].updated_at == NOW
    assert business.due_date is None  # input not mutated


def test_reschedule_dependents_skips_unchanged_due_dates() -> None:
    source = make_task("t_src", status=TaskStatus.DONE, completed_at=NOW)
    already = make_task(
        "t_b", offset_from="t_src", offset_days=1, business_days=True, due_date=date(2024, 3, 11)
    )
    assert reschedule_dependents(source, [already], NOW) == []


def test_reschedule_dependents_requires_done_source() -> None:
    source = make_task("t_src", status=TaskStatus.IN_PROGRESS)
    dependent = make_task("t_b", offset_from="t_src", offset_days=1, due_date=None)
    assert reschedule_dependents(source, [dependent], NOW) == []


def test_reschedule_after_done_transition_end_to_end() -> None:
    source = make_task("t_src")
    dependent = make_task("t_b", offset_from="t_src", offset_days=2, business_days=True, due_date=None)
    done = apply(source, change(status=TaskStatus.DONE))
    changed = reschedule_dependents(done, [dependent], NOW)
    assert [t.due_date for t in changed] == [date(2024, 3, 12)]  # Fri + 2 business days = Tue


# --- bundle progress -----------------------------------------------------------------------------------


def _tasks(*specs: tuple[str, TaskStatus]) -> list[Task]:
    return [make_task(f"t_{i}", phase=phase, status=status) for i, (phase, status) in enumerate(specs)]


def test_stage_moves_to_earliest_phase_with_open_task() -> None:
    bundle = make_bundle(stage="prepare")
    tasks = _tasks(
        ("prepare", TaskStatus.DONE),
        ("prepare", TaskStatus.SKIPPED),
        ("close", TaskStatus.TODO),
        ("execute", TaskStatus.WAITING),
    )
    progress = bundle_progress_after(bundle, PHASES, tasks)
    assert progress.stage == "execute"
    assert progress.status is BundleStatus.ACTIVE
    assert progress.stage_changed is True
    assert progress.status_changed is False


def test_stage_goes_back_when_earlier_task_reopened() -> None:
    bundle = make_bundle(stage="close")
    tasks = _tasks(("prepare", TaskStatus.IN_PROGRESS), ("close", TaskStatus.TODO))
    progress = bundle_progress_after(bundle, PHASES, tasks)
    assert progress.stage == "prepare"
    assert progress.stage_changed is True


def test_stage_unchanged() -> None:
    bundle = make_bundle(stage="prepare")
    progress = bundle_progress_after(bundle, PHASES, _tasks(("prepare", TaskStatus.TODO)))
    assert progress.stage == "prepare"
    assert not progress.stage_changed and not progress.status_changed


def test_bundle_completes_when_all_done_or_skipped() -> None:
    bundle = make_bundle(stage="close")
    tasks = _tasks(("prepare", TaskStatus.DONE), ("execute", TaskStatus.SKIPPED), ("close", TaskStatus.DONE))
    progress = bundle_progress_after(bundle, PHASES, tasks)
    assert progress.status is BundleStatus.COMPLETED
    assert progress.status_changed is True
    assert progress.stage == "close"


def test_completed_bundle_reactivates_when_task_reopened() -> None:
    bundle = make_bundle(stage="close", status=BundleStatus.COMPLETED)
    tasks = _tasks(("execute", TaskStatus.TODO), ("close", TaskStatus.DONE))
    progress = bundle_progress_after(bundle, PHASES, tasks)
    assert progress.status is BundleStatus.ACTIVE
    assert progress.stage == "execute"
    assert progress.status_changed is True


@pytest.mark.parametrize("kept", [BundleStatus.CANCELLED, BundleStatus.ARCHIVED])
@pytest.mark.parametrize("task_status", [TaskStatus.DONE, TaskStatus.TODO])
def test_cancelled_and_archived_keep_status(kept: BundleStatus, task_status: TaskStatus) -> None:
    bundle = make_bundle(stage="prepare", status=kept)
    progress = bundle_progress_after(bundle, PHASES, _tasks(("execute", task_status)))
    assert progress.status is kept
    assert progress.status_changed is False


def test_progress_after_real_transition() -> None:
    bundle = make_bundle(stage="prepare")
    first = make_task("t_a", phase="prepare")
    second = make_task("t_b", phase="execute", depends_on=["t_a"])
    first_done = apply(first, change(status=TaskStatus.DONE), siblings={"t_b": second})
    progress = bundle_progress_after(bundle, PHASES, [first_done, second])
    assert progress.stage == "execute"
    assert progress.status is BundleStatus.ACTIVE
    second_done = apply(second, change(status=TaskStatus.DONE), siblings={"t_a": first_done})
    final = bundle_progress_after(bundle, PHASES, [first_done, second_done])
    assert final.status is BundleStatus.COMPLETED


def test_completed_at_is_the_change_time() -> None:
    later = NOW + timedelta(hours=5)
    done = apply_task_change(make_task(), change(status=TaskStatus.DONE), actor="u-z", now=later, siblings={})
    assert done.completed_at == later
    assert done.completed_by == "u-z"
