"""Conditions: compiling, evaluating each context root, pending/met/not_met, flips (no AWS)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from workengine.domain.condition_rules import output_readers, reevaluate_conditions
from workengine.domain.conditions import (
    ConditionError,
    ConditionState,
    compile_condition,
    condition_context,
    evaluate,
)
from workengine.domain.entities import Task
from workengine.domain.enums import TaskStatus
from workengine.domain.instantiation import InstantiatedBundle, NewBundleRequest, instantiate_bundle
from workengine.domain.task_rules import TaskChange, apply_task_change
from workengine.domain.template import WorkflowTemplate

NOW = datetime(2030, 6, 1, 9, tzinfo=UTC)
FLOW = (
    Path(__file__).resolve().parents[1] / "fixtures" / "workflow_content" / "templates" / "review-flow.yaml"
)
TEMPLATE = WorkflowTemplate.model_validate(yaml.safe_load(FLOW.read_text()))


def context(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "inputs": {"amount": 500, "region": "eu"},
        "tags": ["vip"],
        "references": {"crm": "https://crm.example/1"},
        "anchor_date": date(2030, 6, 11),
        "today": date(2030, 6, 1),
        "tasks": {"intake": {"status": "done", "fields": {"risk": "high"}, "outputs": {}}},
    }
    data.update(overrides)
    return condition_context(**data)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("inputs.amount > 100", ConditionState.MET),
        ('inputs.region == "us"', ConditionState.NOT_MET),
        ('"vip" in bundle.tags', ConditionState.MET),
        ("has(bundle.references.crm)", ConditionState.MET),
        ('bundle.anchor_date == "2030-06-11"', ConditionState.MET),
        ('tasks.intake.fields.risk == "high"', ConditionState.MET),
        ('tasks.intake.status == "done"', ConditionState.MET),
        ("days_to_anchor <= 7", ConditionState.NOT_MET),
        ("days_to_anchor == 10", ConditionState.MET),
    ],
)
def test_each_context_root_is_evaluated(expression: str, expected: ConditionState) -> None:
    condition = compile_condition(expression)
    assert evaluate(condition, context(), {"intake": "done"}) is expected


def test_reading_an_open_tasks_data_or_an_unset_value_is_pending() -> None:
    condition = compile_condition('tasks.intake.fields.risk == "high"')
    assert evaluate(condition, context(), {"intake": "in_progress"}) is ConditionState.PENDING
    unset = context(tasks={"intake": {"status": "done", "fields": {}, "outputs": {}}})
    assert evaluate(condition, unset, {"intake": "done"}) is ConditionState.PENDING
    # reading only a task's status is decidable while it is open
    status_only = compile_condition('tasks.intake.status != "done"')
    assert evaluate(status_only, context(), {"intake": "todo"}) is ConditionState.NOT_MET


def test_references_come_from_the_checker() -> None:
    condition = compile_condition(
        'inputs.amount > 1 && tasks.a.fields.x == 1 && tasks.b.status == "done" && days_to_anchor < 3'
    )
    assert condition.references == ("inputs.amount", "tasks.a.fields.x", "tasks.b.status", "days_to_anchor")
    assert condition.task_keys == {"a", "b"} and condition.data_task_keys == {"a"}
    assert condition.uses_days_to_anchor
    assert compile_condition("1 + 1 == 2") is compile_condition("1 + 1 == 2")  # compiled once


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("inputs.a >", "Syntax error"),
        ("user.id == 1", "unknown variable 'user'"),
        ("1 + 2", "must yield a bool"),
    ],
)
def test_bad_expressions_are_refused(expression: str, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        compile_condition(expression)


def create(
    amount: int = 100, tags: list[str] | None = None, anchor: date = date(2030, 7, 1)
) -> InstantiatedBundle:
    counter = iter(range(1000))
    return instantiate_bundle(
        TEMPLATE,
        NewBundleRequest(
            template_id="review-flow",
            title="Deal",
            anchor_date=anchor,
            inputs={"client": "Acme", "amount": amount},
            tags=tags or [],
        ),
        tenant_id="acme",
        actor="mia",
        now=NOW,
        new_id=lambda prefix: f"{prefix}{next(counter)}",
    )


def by_key(tasks: list[Task]) -> dict[str, Task]:
    return {task.template_task_ref: task for task in tasks}


def test_creation_decides_what_it_can() -> None:
    tasks = by_key(create().tasks)
    assert tasks["legal"].condition is ConditionState.PENDING and tasks["legal"].status is TaskStatus.TODO
    assert tasks["finance"].condition is ConditionState.PENDING  # score may still come
    assert tasks["vip_call"].condition is ConditionState.NOT_MET
    assert tasks["vip_call"].status is TaskStatus.SKIPPED and tasks["vip_call"].skip_reason == "condition"
    assert tasks["intake"].condition is None and all(t.version == 1 for t in tasks.values())
    big_vip = by_key(create(amount=5000, tags=["vip"]).tasks)
    # finance reads intake's fields: undecided while intake is open, even if the amount alone decides it
    assert big_vip["finance"].condition is ConditionState.PENDING
    assert (
        big_vip["vip_call"].condition is ConditionState.MET and big_vip["vip_call"].status is TaskStatus.TODO
    )


def change(task: Task, siblings: dict[str, Task], **data: Any) -> Task:
    return apply_task_change(
        task, TaskChange(frozenset(data), **data), actor="mia", now=NOW, siblings=siblings
    )


def test_a_change_flips_conditions_both_ways() -> None:
    created = create()
    tasks = by_key(created.tasks)
    ids = {t.task_id: t for t in created.tasks}
    done = change(tasks["intake"], ids, status=TaskStatus.DONE, fields={"risk": "low", "score": 90})
    tasks["intake"] = done
    flips = reevaluate_conditions(
        TEMPLATE, created.bundle, list(tasks.values()), today=NOW.date(), now=NOW, changed_keys={"intake"}
    )
    flipped = {t.template_task_ref: t for t in flips.values()}
    assert (
        flipped["legal"].status is TaskStatus.SKIPPED and flipped["legal"].condition is ConditionState.NOT_MET
    )
    assert flipped["finance"].status is TaskStatus.TODO and flipped["finance"].condition is ConditionState.MET
    assert flipped["legal"].version == 2
    tasks.update(flipped)

    tasks["intake"] = change(tasks["intake"], ids, fields={"risk": "high"})
    again = reevaluate_conditions(
        TEMPLATE, created.bundle, list(tasks.values()), today=NOW.date(), now=NOW, changed_keys={"intake"}
    )
    legal = next(t for t in again.values() if t.template_task_ref == "legal")
    assert (
        legal.status is TaskStatus.TODO
        and legal.skip_reason is None
        and legal.condition is ConditionState.MET
    )


def expected_state(fields: dict[str, Any], amount: int) -> dict[str, ConditionState]:
    risk, score = fields.get("risk"), fields.get("score")
    legal = (
        ConditionState.PENDING
        if risk is None
        else ConditionState.MET
        if risk == "high"
        else ConditionState.NOT_MET
    )
    finance = (
        ConditionState.MET if amount > 1000 or (score is not None and score >= 80) else ConditionState.NOT_MET
    )
    return {"legal": legal, "finance": finance}


FIELD_CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "risk": st.sampled_from(["low", "medium", "high", None]),
        "score": st.one_of(st.none(), st.integers(0, 100)),
    },
)


@settings(max_examples=60, deadline=None)
@given(changes=st.lists(FIELD_CHANGES, min_size=1, max_size=8), amount=st.sampled_from([100, 5000]))
def test_any_sequence_of_field_changes_ends_in_the_state_of_the_final_data(
    changes: list[dict[str, Any]], amount: int
) -> None:
    created = create(amount=amount)
    tasks = by_key(created.tasks)
    ids = {t.task_id: t for t in created.tasks}
    tasks["intake"] = change(tasks["intake"], ids, status=TaskStatus.DONE, fields={"risk": "low"})
    for fields in [{}, *changes]:
        if fields:
            tasks["intake"] = change(tasks["intake"], ids, fields=fields)
        flips = reevaluate_conditions(
            TEMPLATE, created.bundle, list(tasks.values()), today=NOW.date(), now=NOW, changed_keys={"intake"}
        )
        tasks.update({t.template_task_ref: t for t in flips.values()})
    for key, state in expected_state(tasks["intake"].fields, amount).items():
        assert tasks[key].condition is state
        expected_status = TaskStatus.SKIPPED if state is ConditionState.NOT_MET else TaskStatus.TODO
        assert tasks[key].status is expected_status
        assert (tasks[key].skip_reason == "condition") is (state is ConditionState.NOT_MET)


OUTPUT_FLOW = FLOW.parents[2] / "assistant_content" / "templates" / "output-flow.yaml"


def test_conditions_read_the_latest_output_given_and_stay_pending_without_one() -> None:
    # Given a template whose rescue task reads the assessment's output, with the assessment done
    template = WorkflowTemplate.model_validate(yaml.safe_load(OUTPUT_FLOW.read_text()))
    assert output_readers(template) == {"assess"}
    counter = iter(range(100))
    created = instantiate_bundle(
        template,
        NewBundleRequest(template_id="output-flow", title="Deal", anchor_date=date(2030, 7, 1)),
        tenant_id="acme",
        actor="mia",
        now=NOW,
        new_id=lambda prefix: f"{prefix}{next(counter)}",
    )
    tasks = by_key(created.tasks)
    assert tasks["rescue"].condition is ConditionState.PENDING
    ids = {t.task_id: t for t in created.tasks}
    tasks["assess"] = change(tasks["assess"], ids, status=TaskStatus.DONE)

    def decide(outputs: dict[str, Any]) -> dict[str, Task]:
        flips = reevaluate_conditions(
            template,
            created.bundle,
            list(tasks.values()),
            today=NOW.date(),
            now=NOW,
            changed_keys={"assess"},
            outputs=outputs,
        )
        return {t.template_task_ref: t for t in flips.values()}

    # When no output exists yet, the condition stays pending; with a "high" output it is met; "low" skips it
    assert decide({}) == {}
    assert decide({"assess": {"risk": "high"}})["rescue"].condition is ConditionState.MET
    low = decide({"assess": {"risk": "low"}})["rescue"]
    assert (low.condition, low.status, low.skip_reason) == (
        ConditionState.NOT_MET,
        TaskStatus.SKIPPED,
        "condition",
    )
