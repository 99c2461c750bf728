"""Dry runs (pure, no AWS): one broken fixture template per problem kind, and the timeline the real
templates give (due dates, business days, conditions, approval gates, reminders, critical path)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from workengine.catalog.example_runs import example_problems, run_examples
from workengine.catalog.loader import REPO_CONTENT_DIR, load_catalog
from workengine.catalog.validate import parse_content
from workengine.domain.errors import ValidationFailedError
from workengine.domain.simulation import simulate
from workengine.domain.simulation_checks import never_active_problems
from workengine.domain.simulation_model import KickOff, ProblemKind, Simulation
from workengine.domain.template import WorkflowTemplate

BROKEN = parse_content(Path(__file__).resolve().parents[1] / "fixtures" / "simulation_content")
CATALOG = load_catalog(REPO_CONTENT_DIR)
ANCHOR = date(2030, 6, 30)


def broken(template_id: str) -> WorkflowTemplate:
    assert BROKEN.problems == []
    return BROKEN.templates[template_id]


def run(template: WorkflowTemplate, **kick_off: object) -> Simulation:
    return simulate(template, KickOff(anchor_date=ANCHOR, **kick_off))  # type: ignore[arg-type]


def kinds(simulation: Simulation) -> list[tuple[ProblemKind, str | None]]:
    return [(p.kind, p.task_key) for p in simulation.problems]


# --- one broken template per problem kind ----------------------------------------------------------------


def test_a_task_no_example_makes_active_is_reported_with_why() -> None:
    template = broken("never-active")
    runs = [r.simulation for r in run_examples(template)]

    problems = never_active_problems(template, runs)

    assert [(p.kind, p.task_key) for p in problems] == [
        (ProblemKind.NEVER_ACTIVE, "big_review"),
        (ProblemKind.NEVER_ACTIVE, "night_shift"),
    ]
    assert "condition is never met" in problems[0].message
    assert "include_when_tag 'night'" in problems[1].message
    # a kick-off that takes both paths makes them active
    both = run(template, inputs={"size": "large"}, tags=["night"])
    assert never_active_problems(template, [*runs, both]) == []


def test_a_task_due_before_a_task_it_depends_on_is_reported() -> None:
    simulation = run(broken("due-before-dependency"))

    assert kinds(simulation) == [(ProblemKind.DUE_BEFORE_DEPENDENCY, "test")]
    assert simulation.problems[0].message == (
        "'test' is due 2030-06-25, before 'build' (due 2030-06-27) that it depends on"
    )
    # the run shows the consequence: test can only finish after build, two days late, overdue meanwhile
    test = simulation.task("test")
    assert test is not None and (test.completed_on, test.days_late) == (date(2030, 6, 27), 2)
    [overdue] = [r for r in simulation.reminders if r.kind == "overdue"]
    assert (overdue.task_key, overdue.fire_at.date(), overdue.repeats) == ("test", date(2030, 6, 26), 2)


def test_a_reminder_before_the_bundle_exists_is_reported() -> None:
    simulation = run(broken("reminder-before-bundle"))

    # the schedule creates the bundle 10 days before the anchor; kickoff reminds 3 days before that
    assert simulation.created_at == datetime(2030, 6, 20, tzinfo=UTC)
    assert kinds(simulation) == [(ProblemKind.REMINDER_BEFORE_BUNDLE, "kickoff")]
    assert "would fire at 2030-06-17T00:00:00Z, before the bundle exists" in simulation.problems[0].message
    # created in time, it is fine
    assert run(broken("reminder-before-bundle"), created_on=date(2030, 6, 1)).problems == []


def test_work_that_can_never_finish_is_reported() -> None:
    simulation = run(broken("never-finishes"))

    assert kinds(simulation) == [(ProblemKind.NEVER_FINISHES, "sign_off")]
    assert "only 0 may decide" in simulation.problems[0].message
    assert simulation.finished_on is None
    [gate] = simulation.approval_gates
    assert (gate.approvers, gate.eligible, gate.decided_on) == (["owner"], [], None)


def test_example_problems_locate_runs_and_tasks() -> None:
    located = [(p.field, p.message.split(" ")[0]) for p in example_problems(broken("never-active"), "f.yaml")]
    stuck = example_problems(broken("never-finishes"), "f.yaml")

    assert located == [("tasks[1]", "'big_review'"), ("tasks[2]", "'night_shift'")]
    assert [p.field for p in stuck] == ["examples[0]"]


# --- the real templates -----------------------------------------------------------------------------------


@pytest.mark.parametrize("template_id", sorted(t.template_id for t in CATALOG.list()))
def test_every_shipped_template_runs_its_examples_without_problems(template_id: str) -> None:
    template = CATALOG.require(template_id)

    assert example_problems(template, template_id) == []
    for example_run in run_examples(template):
        assert example_run.simulation.finished_on is not None
        assert all(t.due_date is not None for t in example_run.simulation.tasks if t.active)


def test_renewal_timeline_business_days_reminders_and_critical_path() -> None:
    simulation = run(CATALOG.require("customer-renewal"))
    tasks = {t.key: t for t in simulation.tasks}

    # -44 business days from Sunday 2030-06-30 (counted from Monday) is Tuesday 2030-04-30
    assert tasks["pricing_approval"].due_date == date(2030, 4, 30)
    # offset_from: two business days after the signed order form (Thursday 2030-06-20) is Monday
    assert tasks["close_opportunity"].first_due_date is None
    assert tasks["close_opportunity"].due_date == date(2030, 6, 24)
    # the due reminder fires remind_before_days (5) before the due date, at midnight UTC
    [sponsor] = [r for r in simulation.reminders if r.task_key == "exec_sponsor_checkin"]
    assert (sponsor.kind, sponsor.fire_at) == ("due", datetime(2030, 3, 27, tzinfo=UTC))
    assert sponsor.recipient == "account-owner"  # an unmapped role is played by a user of that name
    assert simulation.critical_path[0] == "health_check" and simulation.critical_path[-1] == "next_term_plan"
    assert simulation.critical_path_days == (date(2030, 6, 30) - simulation.created_at.date()).days
    assert simulation.problems == []


def test_renewal_conditions_follow_tags_and_recorded_fields() -> None:
    template = CATALOG.require("customer-renewal")

    calm = run(template)
    emergency = run(template, tags=["emergency"])
    risky = run(template, fields={"usage_review": {"risk_level": "high"}})

    calm_risk = calm.task("escalate_risk")
    assert calm_risk is not None and calm_risk.status == "skipped" and not calm_risk.active
    assert [state for _, state in calm_risk.condition_changes] == ["pending", "not_met"]
    for hot in (emergency, risky):
        exec_call = hot.task("exec_call")
        assert exec_call is not None and exec_call.status == "done"
        # skipped while the rescue plan is open, back once it is done
        assert [state for _, state in exec_call.condition_changes] == ["not_met", "met"]
    emergency_risk = emergency.task("escalate_risk")
    assert emergency_risk is not None
    assert emergency_risk.condition_changes == [(date(2030, 3, 1), "pending"), (date(2030, 3, 17), "met")]


def test_approval_gates_ask_the_approvers_when_the_task_becomes_actionable() -> None:
    simulation = run(CATALOG.require("quarterly-tax-report"), assignees={"reviewer": "rita"})

    [gate] = simulation.approval_gates
    assert (gate.task_key, gate.approvers, gate.required) == ("controller_approval", ["rita"], 1)
    questions = simulation.task("reviewer_questions")
    assert questions is not None and gate.requested_on == questions.completed_on
    asked = [r for r in simulation.reminders if r.kind == "approval_requested"]
    assert [(r.task_key, r.recipient) for r in asked] == [("controller_approval", "rita")]


def test_invalid_kick_off_is_refused_like_post_bundles() -> None:
    with pytest.raises(ValidationFailedError) as missing:
        run(CATALOG.require("podcast-episode"))
    with pytest.raises(ValidationFailedError) as role:
        run(CATALOG.require("customer-renewal"), assignees={"nobody": "x"})

    with pytest.raises(ValidationFailedError) as task:
        run(CATALOG.require("customer-renewal"), fields={"usage_reveiw": {"risk_level": "high"}})
    with pytest.raises(ValidationFailedError) as value:
        run(CATALOG.require("customer-renewal"), fields={"usage_review": {"risk_level": "extreme"}})

    assert missing.value.details["field"] == "inputs.guest_name"
    assert role.value.details["field"] == "assignees"
    assert task.value.details["unknown_tasks"] == ["usage_reveiw"]
    assert value.value.details["field"] == "fields.risk_level"


def test_a_simulation_imports_no_aws_code() -> None:
    code = (
        "import sys; from datetime import date;"
        "from workengine.catalog.loader import REPO_CONTENT_DIR, load_catalog;"
        "from workengine.domain.simulation import simulate;"
        "from workengine.domain.simulation_model import KickOff;"
        "simulate(load_catalog(REPO_CONTENT_DIR).require('newsletter-issue'), KickOff(date(2030, 6, 30)));"
        "print(sorted(m for m in ('boto3', 'botocore', 'moto') if m in sys.modules))"
    )

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"
