"""The attention score (pure): each factor on its own, the example of docs/insight.md, and ranking."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.unit.test_task_rules import make_bundle, make_task
from workengine.domain.attention import rank, score_task
from workengine.domain.entities import Escalation, Proof, Task
from workengine.domain.enums import BundleStatus, ProofKind, TaskStatus

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 2)
FAR = TODAY + timedelta(days=30)
BUNDLE = make_bundle(title="Acme renewal", stage="prepare", anchor_date=date(2027, 3, 1))


def task(task_id: str = "t_1", **overrides: Any) -> Task:
    overrides.setdefault("due_date", FAR)
    return make_task(task_id, **overrides)


def score(subject: Task, siblings: list[Task] | None = None, escalation: str | None = None, **bundle: Any):  # type: ignore[no-untyped-def]
    return score_task(
        subject,
        bundle=make_bundle(**{"title": "Acme renewal", "stage": "prepare", **bundle}),
        siblings=siblings if siblings is not None else [subject],
        escalation=escalation,
        now=NOW,
    )


def test_a_task_with_nothing_urgent_scores_zero_without_reasons() -> None:
    result = score(task(phase="later"))

    assert (result.score, result.reasons, result.factors) == (0, [], {})


def test_overdue_adds_ten_points_per_day_capped_at_thirty_days() -> None:
    three = score(task(due_date=TODAY - timedelta(days=3), phase="later"))
    ancient = score(task(due_date=TODAY - timedelta(days=400), phase="later"))

    assert three.factors == {"overdue": 30}
    assert three.reasons == ["overdue by 3 days (due 2026-11-29)"]
    assert ancient.factors == {"overdue": 300}
    assert ancient.reasons == ["overdue by 400 days (due 2025-10-28)"]


def test_due_today_or_within_two_days_is_due_soon_and_three_days_is_not() -> None:
    assert score(task(due_date=TODAY, phase="later")).reasons == ["due today (2026-12-02)"]
    assert score(task(due_date=TODAY + timedelta(days=2), phase="later")).factors == {"due_soon": 5}
    assert score(task(due_date=TODAY + timedelta(days=3), phase="later")).factors == {}


def test_blocks_counts_open_tasks_that_depend_on_it() -> None:
    subject = task("t_1", phase="later")
    siblings = [
        subject,
        task("t_2", title="Send", depends_on=["t_1"]),
        task("t_3", title="Negotiate", depends_on=["t_1", "t_9"]),
        task("t_4", title="Done already", depends_on=["t_1"], status=TaskStatus.DONE),
        task("t_5", title="Unrelated", depends_on=["t_9"]),
    ]

    result = score(subject, siblings)

    assert result.factors == {"blocks": 16}
    assert result.reasons == ["blocks 2 tasks: 'Send', 'Negotiate'"]


def test_follow_up_due_only_once_its_time_has_come_and_only_while_waiting() -> None:
    waiting = task(
        status=TaskStatus.WAITING,
        waiting_for="legal",
        follow_up_at=NOW - timedelta(hours=1),
        phase="later",
    )
    early = waiting.model_copy(update={"follow_up_at": NOW + timedelta(hours=1)})

    assert score(waiting).factors == {"follow_up_due": 25}
    assert score(waiting).reasons == ["follow-up due since 2026-12-02 (waiting for legal)"]
    assert score(early).factors == {}


def test_missing_evidence_counts_near_the_due_date_only() -> None:
    near = task(due_date=TODAY + timedelta(days=2), proof_required=[ProofKind.URL], phase="later")
    far = near.model_copy(update={"due_date": TODAY + timedelta(days=3)})
    given = near.model_copy(update={"proof": Proof(url="https://example.com/p")})

    assert score(near).factors == {"due_soon": 5, "missing_evidence": 15}
    assert "evidence missing near the due date: url" in score(near).reasons
    assert score(far).factors == {}
    assert score(given).factors == {"due_soon": 5}


def test_escalation_adds_its_reason() -> None:
    result = score(task(phase="later"), escalation="escalated to you by ana on 2026-12-01: stuck")

    assert result.factors == {"escalated": 40}
    assert result.reasons == ["escalated to you by ana on 2026-12-01: stuck"]


def test_stage_behind_applies_to_tasks_of_the_current_stage_once_its_dates_have_passed() -> None:
    subject = task("t_1", phase="prepare", due_date=None)  # counts from a completion not yet there
    passed = task("t_2", phase="prepare", due_date=TODAY - timedelta(days=1), status=TaskStatus.DONE)
    ahead = passed.model_copy(update={"due_date": TODAY + timedelta(days=6)})

    assert score(subject, [subject, passed]).factors == {"stage_behind": 20}
    assert score(subject, [subject, ahead]).factors == {}
    assert score(subject, [subject, passed], stage="negotiate").factors == {}


def test_stage_behind_uses_the_last_due_date_of_the_stage() -> None:
    subject = task("t_1", phase="prepare", due_date=TODAY - timedelta(days=2))
    sibling = task("t_2", phase="prepare", due_date=TODAY - timedelta(days=1))

    result = score(subject, [subject, sibling])

    assert result.factors == {"overdue": 20, "stage_behind": 20}
    assert result.reasons[-1] == (
        "bundle 'Acme renewal' is behind: stage 'prepare' should have ended on 2026-12-01"
    )


def test_the_documented_example_scores_81() -> None:
    subject = task(
        "t_1",
        title="Draft the renewal proposal",
        phase="prepare",
        due_date=date(2026, 11, 29),
        status=TaskStatus.IN_PROGRESS,
        proof_required=[ProofKind.URL],
    )
    siblings = [
        subject,
        task("t_2", depends_on=["t_1"], phase="x"),
        task("t_3", depends_on=["t_1"], phase="x"),
    ]

    result = score(subject, siblings)

    assert result.score == 81
    assert result.factors == {"overdue": 30, "blocks": 16, "missing_evidence": 15, "stage_behind": 20}
    assert len(result.reasons) == 4


# --- ranking -------------------------------------------------------------------------------------------


def _escalated(subject: Task, to: str) -> Task:
    escalation = Escalation(to=to, by="ana", reason="customer waiting", at=NOW - timedelta(days=1))
    return subject.model_copy(update={"escalations": [escalation]})


def test_rank_orders_by_score_then_due_date_and_leaves_out_snoozed_closed_and_inactive() -> None:
    overdue = task("t_a", due_date=TODAY - timedelta(days=1), phase="x", assignee="me")
    soon = task("t_b", due_date=TODAY + timedelta(days=1), phase="x", assignee="me")
    calm_early = task("t_c", due_date=TODAY + timedelta(days=10), phase="x", assignee="me")
    calm_late = task("t_d", due_date=TODAY + timedelta(days=20), phase="x", assignee="me")
    snoozed = task("t_e", due_date=TODAY - timedelta(days=9), phase="x", assignee="me")
    snoozed = snoozed.model_copy(update={"snoozed_until": NOW + timedelta(days=1)})
    closed = task("t_f", due_date=TODAY - timedelta(days=9), phase="x", assignee="me", status=TaskStatus.DONE)
    other_bundle = task("t_g", bundle_id="b_2", due_date=TODAY - timedelta(days=9), phase="x", assignee="me")
    tasks = [calm_late, soon, calm_early, overdue, snoozed, closed]
    bundles = {
        "b_1": (BUNDLE, tasks),
        "b_2": (make_bundle(bundle_id="b_2", status=BundleStatus.CANCELLED), [other_bundle]),
    }

    items = rank([*tasks, other_bundle], bundles, caller="me", now=NOW)

    assert [item.task.task_id for item in items] == ["t_a", "t_b", "t_c", "t_d"]


def test_rank_for_the_caller_counts_only_escalations_to_them_and_drops_tasks_no_longer_theirs() -> None:
    mine_escalated_to_me = _escalated(task("t_a", phase="x", assignee="me"), "me")
    theirs_escalated_to_me = _escalated(task("t_b", phase="x", assignee="bob"), "me")
    mine_escalated_elsewhere = _escalated(task("t_c", phase="x", assignee="me"), "carol")
    reassigned = task("t_d", phase="x", assignee="dan")
    stale_copy = reassigned.model_copy(update={"assignee": "me"})  # what a lagging index returned
    current = [mine_escalated_to_me, theirs_escalated_to_me, mine_escalated_elsewhere, reassigned]

    items = rank(
        [mine_escalated_to_me, theirs_escalated_to_me, mine_escalated_elsewhere, stale_copy],
        {"b_1": (BUNDLE, current)},
        caller="me",
        now=NOW,
    )

    assert [(i.task.task_id, i.score.score) for i in items] == [("t_a", 40), ("t_b", 40), ("t_c", 0)]
    assert items[0].score.reasons == ["escalated to you by ana on 2026-12-01: customer waiting"]


def test_rank_for_the_tenant_counts_any_escalation() -> None:
    escalated = _escalated(task("t_a", phase="x", assignee="bob"), "carol")

    [item] = rank([escalated], {"b_1": (BUNDLE, [escalated])}, caller=None, now=NOW)

    assert item.score.factors == {"escalated": 40}
    assert item.score.reasons == ["escalated to carol by ana on 2026-12-01: customer waiting"]
