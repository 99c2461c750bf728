"""Field specs and values: kick-off inputs, task fields, required fields gating done."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from workengine.domain.entities import Task
from workengine.domain.enums import TaskStatus
from workengine.domain.errors import MissingFieldsError, ValidationFailedError
from workengine.domain.fields import FieldSpec, merge_fields, missing_required, resolve_inputs, value_problem
from workengine.domain.task_rules import TaskChange, apply_task_change

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def spec(**data: Any) -> FieldSpec:
    return FieldSpec.model_validate({"key": "x", "title": "X", **data})


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ({"type": "text", "max_length": 5}, ["", "abcde"], ["abcdef", 5, {}, ["a"]]),
        ({"type": "number", "min": 0, "max": 10}, [0, 10, 2.5], [-1, 10.5, True, "3", float("nan"), 1e16]),
        ({"type": "date"}, ["2030-02-28"], ["2030-02-30", "2030-2-3", "2030-02-28T00:00:00", 20300228]),
        ({"type": "boolean"}, [True, False], [0, 1, "true"]),
        ({"type": "choice", "choices": ["low", "high"]}, ["low", "high"], ["medium", 1, ["low"]]),
        (
            {"type": "url"},
            ["https://example.com/a?b=1"],
            ["ftp://x", "https://", "example.com", "http://a b"],
        ),
        ({"type": "user"}, ["u-123", "mia@example.com"], ["", "a b", 7]),
    ],
)
def test_values_are_checked_against_their_type(
    field: dict[str, Any], good: list[Any], bad: list[Any]
) -> None:
    definition = spec(**field)
    assert [value_problem(definition, value) for value in good] == [None] * len(good)
    assert all(value_problem(definition, value) for value in bad)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "choice"},
        {"type": "text", "choices": ["a"]},
        {"type": "choice", "choices": ["a", "a"]},
        {"type": "text", "min": 1},
        {"type": "number", "min": 2, "max": 1},
        {"type": "number", "max_length": 3},
        {"type": "number", "default": "seven"},
        {"type": "colour"},
        {"type": "text", "key": "Bad Key"},
    ],
)
def test_inconsistent_specs_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        spec(**data)


INPUTS = [
    spec(key="issue", type="number", required=True, min=1),
    spec(key="audience", type="choice", choices=["all", "paid"], default="all"),
    spec(key="note", type="text"),
]


def test_inputs_fill_defaults_and_leave_unset_optional_values_out() -> None:
    assert resolve_inputs(INPUTS, {"issue": 42}) == {"issue": 42, "audience": "all"}


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({}, "inputs.issue"),
        ({"issue": 0}, "inputs.issue"),
        ({"issue": "42"}, "inputs.issue"),
        ({"issue": 1, "audience": "vip"}, "inputs.audience"),
        ({"issue": 1, "extra": True}, "inputs.extra"),
    ],
)
def test_invalid_inputs_name_the_field(given: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailedError) as caught:
        resolve_inputs(INPUTS, given)
    assert caught.value.details["field"] == field


def test_merging_fields_replaces_clears_and_refuses_unknown_keys() -> None:
    specs = [spec(key="amount", type="number"), spec(key="memo", type="text")]
    merged = merge_fields(specs, {"amount": 1, "memo": "a"}, {"amount": 2, "memo": None})
    assert merged == {"amount": 2}
    with pytest.raises(ValidationFailedError) as caught:
        merge_fields(specs, {}, {"other": 1})
    assert caught.value.details["field"] == "fields.other"
    with pytest.raises(ValidationFailedError) as caught:
        merge_fields(specs, {}, {"amount": "lots"})
    assert caught.value.details["field"] == "fields.amount"


def test_required_fields_count_blank_text_as_missing() -> None:
    specs = [spec(key="a", type="text", required=True), spec(key="b", type="boolean", required=True)]
    assert missing_required(specs, {"a": "  ", "b": False}) == ["a"]


def _task(**data: Any) -> Task:
    return Task.model_validate(
        {
            "task_id": "t1",
            "bundle_id": "b1",
            "tenant_id": "acme",
            "template_id": "tpl",
            "template_task_ref": "review",
            "title": "Review",
            "phase": "p",
            "created_at": NOW,
            "updated_at": NOW,
            "field_specs": [
                {
                    "key": "risk",
                    "title": "Risk",
                    "type": "choice",
                    "choices": ["low", "high"],
                    "required": True,
                }
            ],
            **data,
        }
    )


def test_done_is_refused_while_a_required_field_is_empty_and_allowed_once_set() -> None:
    task = _task()
    with pytest.raises(MissingFieldsError) as caught:
        apply_task_change(
            task, TaskChange(frozenset({"status"}), status=TaskStatus.DONE), actor="u", now=NOW, siblings={}
        )
    assert caught.value.details == {"missing": ["risk"]}

    change = TaskChange(frozenset({"status", "fields"}), status=TaskStatus.DONE, fields={"risk": "high"})
    done = apply_task_change(task, change, actor="u", now=NOW, siblings={})

    assert done.status is TaskStatus.DONE and done.fields == {"risk": "high"} and done.version == 2
