"""The strict template renderer used for assistant prompts and schedule titles."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from workengine.domain.rendering import (
    KNOWN_PROMPT_ROOTS,
    KNOWN_TITLE_ROOTS,
    FilterValueError,
    MissingVariableError,
    TemplateSyntaxError,
    UnknownFilterError,
    find_variables,
    render_strict,
)

CONTEXT: dict[str, Any] = {
    "bundle": {"title": "Episode 42", "anchor_date": "2025-03-14", "tags": ["a", "b"], "empty": None},
    "task": {"title": "Write show notes"},
    "outputs": {"research_brief": {"summary": "A guest.", "questions": ["Why?", "How?"]}},
    "anchor_date": date(2025, 3, 14),
}


def test_substitutes_dotted_paths_from_mappings() -> None:
    # Given a prompt with bundle, task and output variables
    text = "{{ bundle.title }} / {{task.title}} / {{ outputs.research_brief.summary }}"
    # When it is rendered
    rendered = render_strict(text, CONTEXT)
    # Then every path resolves
    assert rendered == "Episode 42 / Write show notes / A guest."


def test_title_pattern_uses_date_attributes_and_month_name() -> None:
    pattern = "Newsletter {{ anchor_date | month_name }} {{ anchor_date.year }}"
    assert render_strict(pattern, CONTEXT) == "Newsletter March 2025"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ task.title | upper }}", "WRITE SHOW NOTES"),
        ("{{ task.title | lower }}", "write show notes"),
        ("{{ anchor_date | iso }}", "2025-03-14"),
        ("{{ bundle.anchor_date | month_name }}", "March"),
        ("{{ bundle.anchor_date | iso }}", "2025-03-14"),
        ("{{ outputs.research_brief.questions | json }}", '["Why?", "How?"]'),
        ("{{ outputs.research_brief.questions.1 }}", "How?"),
        ("{{ bundle.title | lower | upper }}", "EPISODE 42"),
    ],
)
def test_filters(text: str, expected: str) -> None:
    assert render_strict(text, CONTEXT) == expected


def test_datetime_iso_keeps_the_time() -> None:
    moment = datetime(2025, 1, 2, 3, 4, 5)
    assert render_strict("{{ at | iso }}", {"at": moment}) == "2025-01-02T03:04:05"


def test_non_string_values_render_as_json_or_iso() -> None:
    assert render_strict("{{ bundle.tags }}", CONTEXT) == '["a", "b"]'
    assert render_strict("{{ anchor_date }}", CONTEXT) == "2025-03-14"


@pytest.mark.parametrize(
    ("text", "variable"),
    [
        ("{{ bundle.missing }}", "bundle.missing"),
        ("Hello {{ outputs.other_task.summary }}", "outputs.other_task.summary"),
        ("{{ bundle.empty }}", "bundle.empty"),
        ("{{ bundle.title.nope }}", "bundle.title.nope"),
        ("{{ outputs.research_brief.questions.9 }}", "outputs.research_brief.questions.9"),
        ("{{ anchor_date.today }}", "anchor_date.today"),
        ("{{ anchor_date._year }}", "anchor_date._year"),
    ],
)
def test_missing_paths_raise_with_the_full_path(text: str, variable: str) -> None:
    with pytest.raises(MissingVariableError) as caught:
        render_strict(text, CONTEXT)
    assert caught.value.variable == variable
    assert isinstance(caught.value, ValueError)


def test_unknown_filter_raises() -> None:
    with pytest.raises(UnknownFilterError) as caught:
        render_strict("{{ task.title | shout }}", CONTEXT)
    assert caught.value.filter_name == "shout"
    assert caught.value.variable == "task.title"
    assert isinstance(caught.value, MissingVariableError)


def test_filter_refuses_a_value_it_cannot_convert() -> None:
    with pytest.raises(FilterValueError):
        render_strict("{{ task.title | month_name }}", CONTEXT)


@pytest.mark.parametrize(
    "text", ["{{ }}", "{{ bundle..title }}", "{{ a b }}", "Hi {{ bundle.title", "{{ x | }}"]
)
def test_malformed_expressions_raise_syntax_errors(text: str) -> None:
    with pytest.raises(TemplateSyntaxError):
        render_strict(text, CONTEXT)


def test_nothing_is_rendered_when_any_variable_is_missing() -> None:
    with pytest.raises(MissingVariableError):
        render_strict("{{ bundle.title }} {{ bundle.nope }}", CONTEXT)


def test_text_without_expressions_is_returned_unchanged() -> None:
    text = 'Return JSON like {"a": {"b": 1}}'
    assert render_strict(text, {}) == text


def test_find_variables_lists_paths_in_order_without_repeats() -> None:
    text = "{{ task.title }} {{ bundle.anchor_date | iso }} {{ task.title }} {{ outputs.x.y | json }}"
    assert find_variables(text) == ["task.title", "bundle.anchor_date", "outputs.x.y"]


def test_find_variables_raises_on_malformed_text() -> None:
    with pytest.raises(TemplateSyntaxError):
        find_variables("{{ bundle.title")


def test_known_roots() -> None:
    assert frozenset({"bundle", "task", "outputs", "inputs", "tasks"}) == KNOWN_PROMPT_ROOTS
    assert frozenset({"anchor_date", "occurrence_date", "template", "inputs"}) == KNOWN_TITLE_ROOTS


def test_attributes_of_models_resolve() -> None:
    from workengine.domain.template import Phase

    assert render_strict("{{ template.title | upper }}", {"template": Phase(id="p", title="Plan")}) == "PLAN"
