"""``workengine templates validate`` on event triggers: detail fields, engine events, inputs to carry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_template_validation import broken, messages, write_content

EVENT: dict[str, Any] = {
    "type": "event",
    "detail_type": "DealClosed",
    "title_pattern": "Deal {{ anchor_date | iso }}",
    "anchor_field": "go_live",
}
REQUIRED_INPUT = [{"key": "customer", "title": "Customer", "type": "text", "required": True}]


def test_a_complete_event_trigger_is_valid(tmp_path: Path) -> None:
    trigger = {**EVENT, "inputs_field": "deal", "assignees_field": "team"}
    template = broken(triggers=[trigger], inputs=REQUIRED_INPUT)
    assert messages(write_content(tmp_path, template)) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"anchor_field": "tenant_id"}, "triggers[0].anchor_field: 'tenant_id' is reserved"),
        ({"inputs_field": "event_id"}, "triggers[0].inputs_field: 'event_id' is reserved"),
        ({"inputs_field": "go_live"}, "'go_live' is also the trigger's anchor_field"),
        ({"detail_type": "ReminderCreated"}, "detail_type: 'ReminderCreated' is an event the engine"),
    ],
)
def test_event_trigger_problems_are_named(tmp_path: Path, change: dict[str, Any], expected: str) -> None:
    template = broken(triggers=[{**EVENT, **change}])
    found = messages(write_content(tmp_path, template))
    assert any(expected in message for message in found), found


def test_required_inputs_without_a_detail_field_are_a_problem(tmp_path: Path) -> None:
    template = broken(triggers=[EVENT], inputs=REQUIRED_INPUT)
    (message,) = messages(write_content(tmp_path, template))
    assert "triggers[0].inputs_field" in message and "customer" in message


def test_one_detail_type_twice_is_a_problem(tmp_path: Path) -> None:
    template = broken(triggers=[EVENT, {**EVENT, "anchor_field": "other"}])
    (message,) = messages(write_content(tmp_path, template))
    assert "'DealClosed' triggers this template more than once" in message


@pytest.mark.parametrize("field", ["anchor_field", "inputs_field"])
def test_detail_fields_must_be_plain_names(tmp_path: Path, field: str) -> None:
    template = broken(triggers=[{**EVENT, field: "a.b"}])
    (message,) = messages(write_content(tmp_path, template))
    assert f"triggers[0].{field}: String should match pattern" in message


def test_detail_type_must_be_an_event_bridge_detail_type(tmp_path: Path) -> None:
    template = broken(triggers=[{**EVENT, "detail_type": ""}])
    (message,) = messages(write_content(tmp_path, template))
    assert "triggers[0].detail_type: String should match pattern" in message
