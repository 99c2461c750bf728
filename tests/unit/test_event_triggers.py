"""Which templates an event starts, the bundle ID it gets, and what its detail must hold (pure)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from workengine.catalog.loader import load_catalog
from workengine.domain.bus_events import TriggeringEvent, detail_problem, event_id_problem
from workengine.domain.errors import ValidationFailedError
from workengine.domain.event_triggers import declared_detail_types, plan_kickoffs, triggered_bundle_id
from workengine.domain.template import WorkflowTemplate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "content"
TODAY = date(2027, 1, 4)
DEAL: dict[str, Any] = {
    "tenant_id": "ignored-here",
    "go_live": "2027-03-01",
    "deal": {"customer": "Initech", "seats": 40},
    "team": {"owner": "ola", "engineer": "eve"},
}


@pytest.fixture(scope="module")
def templates() -> list[WorkflowTemplate]:
    return load_catalog(FIXTURES).list()


def event(detail: dict[str, Any], event_id: str = "evt-1") -> TriggeringEvent:
    return TriggeringEvent("acme", event_id, "DealClosed", detail)


def test_bundle_ids_derive_from_tenant_event_and_template() -> None:
    first = triggered_bundle_id("acme", "evt-1", "deal-onboarding")

    assert first == triggered_bundle_id("acme", "evt-1", "deal-onboarding")
    assert first.startswith("b_evt_") and len(first) == 38
    others = {
        triggered_bundle_id("acme", "evt-2", "deal-onboarding"),
        triggered_bundle_id("acme", "evt-1", "deal-welcome"),
        triggered_bundle_id("globex", "evt-1", "deal-onboarding"),
    }
    assert first not in others and len(others) == 3


def test_the_declared_detail_types_are_what_the_rule_matches(templates: list[WorkflowTemplate]) -> None:
    assert declared_detail_types(templates) == ["DealClosed"]


def test_one_event_plans_one_bundle_per_matching_template(templates: list[WorkflowTemplate]) -> None:
    plans = plan_kickoffs(templates, event(DEAL), TODAY)

    assert [plan.template.template_id for plan in plans] == ["deal-onboarding", "deal-welcome"]
    onboarding, welcome = (plan.request for plan in plans)
    assert onboarding is not None and welcome is not None
    assert onboarding.bundle_id == triggered_bundle_id("acme", "evt-1", "deal-onboarding")
    assert onboarding.title == "Onboard Initech by 2027-03-01"
    assert onboarding.anchor_date == date(2027, 3, 1)
    assert onboarding.inputs == {"customer": "Initech", "seats": 40}
    assert onboarding.assignees == {"owner": "ola", "engineer": "eve"}
    assert welcome.title == "Welcome pack for 2027-03-01" and welcome.inputs == {}


def test_an_event_no_template_takes_plans_nothing(templates: list[WorkflowTemplate]) -> None:
    assert plan_kickoffs(templates, TriggeringEvent("acme", "e", "Other", DEAL), TODAY) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"go_live": None}, "detail.go_live"),
        ({"go_live": "2027-02-30"}, "detail.go_live"),
        ({"go_live": "2027-03-01T10:00:00Z"}, "detail.go_live"),
        ({"go_live": 20270301}, "detail.go_live"),
        ({"go_live": "1900-01-01"}, "detail.go_live"),
        ({"deal": {"seats": 4}}, "detail.deal.customer"),
        ({"deal": {"customer": "Initech", "seats": 0}}, "detail.deal.seats"),
        ({"deal": {"customer": "Initech", "seats": "40"}}, "detail.deal.seats"),
        ({"deal": {"customer": "Initech", "colour": "red"}}, "detail.deal.colour"),
        ({"deal": ["Initech"]}, "detail.deal"),
        ({"team": {"hots": "ola"}}, "detail.team"),
        ({"team": {"owner": "has space"}}, "detail.team.owner"),
    ],
)
def test_a_detail_that_does_not_fit_names_its_field(
    templates: list[WorkflowTemplate], change: dict[str, Any], field: str
) -> None:
    detail = {key: value for key, value in {**DEAL, **change}.items() if value is not None}

    onboarding = plan_kickoffs(templates, event(detail), TODAY)[0]

    assert onboarding.request is None and isinstance(onboarding.problem, ValidationFailedError)
    assert onboarding.problem.details["field"] == field
    assert field in onboarding.problem.message


def test_the_inputs_field_may_be_absent_when_nothing_is_required(templates: list[WorkflowTemplate]) -> None:
    welcome = plan_kickoffs(templates, event({"go_live": "2027-03-01"}), TODAY)[1]
    assert welcome.request is not None and welcome.problem is None


@pytest.mark.parametrize(
    ("value", "ok"), [("evt-1", True), ("", False), ("  ", False), (7, False), ("a\n", False)]
)
def test_event_ids(value: Any, ok: bool) -> None:
    assert (event_id_problem(value) is None) is ok
    assert event_id_problem("x" * 129) is not None


def test_details_must_be_bounded_json_objects() -> None:
    assert detail_problem({"a": 1}) is None
    assert detail_problem([1]) == ("detail", "must be a JSON object")
    assert detail_problem({"a": float("nan")}) is not None
