"""The shipped content and the catalog loader (YAML directory and compiled JSON)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from workengine.catalog.loader import (
    REPO_CONTENT_DIR,
    TemplateCatalog,
    compile_catalog,
    find_content_dir,
    load_catalog,
    load_catalog_from,
    load_compiled_catalog,
)
from workengine.catalog.problems import CatalogError
from workengine.catalog.validate import validate_content
from workengine.domain.enums import ProofKind
from workengine.domain.fields import resolve_inputs
from workengine.domain.instantiation import task_title
from workengine.domain.rendering import find_variables, render_strict
from workengine.domain.template import ScheduleTrigger, WorkflowTemplate

EXPECTED_TEMPLATES = {
    "podcast-episode",
    "newsletter-issue",
    "quarterly-tax-report",
    "customer-renewal",
    "ev-charging-rollout",
    "hr-performance-review",
}


@pytest.fixture(scope="module")
def catalog() -> TemplateCatalog:
    return load_catalog(REPO_CONTENT_DIR)


def test_shipped_content_has_no_problems() -> None:
    assert [str(problem) for problem in validate_content(REPO_CONTENT_DIR)] == []


def test_catalog_lists_every_shipped_template_sorted(catalog: TemplateCatalog) -> None:
    ids = [template.template_id for template in catalog.list()]
    assert set(ids) == EXPECTED_TEMPLATES
    assert ids == sorted(ids)
    assert catalog.get("podcast-episode") is not None
    assert catalog.get("nope") is None


@pytest.mark.parametrize("template_id", sorted(EXPECTED_TEMPLATES))
def test_each_template_is_complete(catalog: TemplateCatalog, template_id: str) -> None:
    template = catalog.get(template_id)
    assert template is not None
    tasks = template.tasks
    assert len(tasks) >= 8
    assert len(template.phases) >= 3
    assert any(task.assistant for task in tasks)
    assert any(task.assistant and task.assistant.fill_proof_comment for task in tasks)
    assert any(task.offset_from for task in tasks)
    assert any(task.business_days for task in tasks)
    assert any(task.offset_days < 0 for task in tasks)
    assert any(task.depends_on for task in tasks)
    assert any(task.remind_before_days != 1 for task in tasks)
    assert all(task.proof_required for task in tasks)
    assert all(task.default_assignee for task in tasks)
    assert any(task.default_assignee == template.owner_role for task in tasks)
    assert template.required_links
    assert template.source_doc_ids
    assert all(task.instruction_doc_id or task.instructions_url for task in tasks)


@pytest.mark.parametrize("template_id", sorted(EXPECTED_TEMPLATES))
def test_assistant_prompts_use_bundle_task_and_earlier_outputs(
    catalog: TemplateCatalog, template_id: str
) -> None:
    template = catalog.get(template_id)
    assert template is not None
    variables = [
        variable
        for task in template.tasks
        if task.assistant
        for variable in find_variables(task.assistant.prompt)
    ]
    assert "bundle.title" in variables
    assert "task.title" in variables
    assert any(variable.startswith("outputs.") and variable.count(".") >= 2 for variable in variables)


def test_renewal_has_an_emergency_path_and_an_event_trigger(catalog: TemplateCatalog) -> None:
    template = catalog.get("customer-renewal")
    assert template is not None
    assert template.phase_ids()[:4] == ["monitor", "prepare", "negotiate", "finalize"]
    emergency = [task for task in template.tasks if task.phase == "emergency"]
    assert emergency
    # the emergency path switches itself on by conditions: the usage review's risk, or 30 days out
    assert all(task.when for task in emergency)
    escalate = template.task("escalate_risk")
    assert escalate is not None and escalate.when is not None
    assert "usage_review.fields.risk_level" in escalate.when and "days_to_anchor <= 30" in escalate.when
    assert any(trigger.type == "event" for trigger in template.triggers)


def test_newsletter_schedule_renders_its_title(catalog: TemplateCatalog) -> None:
    template = catalog.get("newsletter-issue")
    assert template is not None
    (trigger,) = template.schedule_triggers()
    assert isinstance(trigger, ScheduleTrigger)
    assert trigger.cron == "0 8 1 * *"
    context = {"anchor_date": date(2025, 3, 15), "occurrence_date": date(2025, 3, 1), "template": template}
    assert render_strict(trigger.title_pattern, context) == "Newsletter March 2025"


def test_quarterly_tax_report_has_a_quarterly_schedule(catalog: TemplateCatalog) -> None:
    template = catalog.get("quarterly-tax-report")
    assert template is not None
    (trigger,) = template.schedule_triggers()
    assert trigger.cron.split()[3] == "1,4,7,10"


def test_every_instruction_reference_resolves(catalog: TemplateCatalog) -> None:
    for template in catalog.list():
        for task in template.tasks:
            if task.instruction_doc_id:
                assert task.instruction_step_id in catalog.docs.step_ids(task.instruction_doc_id)
            assert set(task.proof_required) <= set(ProofKind)


def test_compiled_catalog_round_trips_to_equal_models(tmp_path: Path, catalog: TemplateCatalog) -> None:
    # Given the compiled form written as JSON
    compiled_path = tmp_path / "compiled_catalog.json"
    compiled_path.write_text(json.dumps(compile_catalog(REPO_CONTENT_DIR)), encoding="utf-8")
    # When it is loaded without YAML
    loaded = load_compiled_catalog(compiled_path)
    # Then the models, hashes and docs are the same as from YAML
    assert loaded.templates == catalog.templates
    assert loaded.docs == catalog.docs
    assert [t.pinned_version for t in loaded.list()] == [t.pinned_version for t in catalog.list()]
    assert load_catalog_from(compiled_path) == loaded
    assert load_catalog_from(REPO_CONTENT_DIR) == catalog


def test_compiled_catalog_with_invalid_template_raises(tmp_path: Path) -> None:
    compiled_path = tmp_path / "compiled_catalog.json"
    compiled_path.write_text(json.dumps({"templates": [{"template_id": "x"}], "docs": {}}), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_compiled_catalog(compiled_path)
    assert any(problem.field == "templates[0].version" for problem in caught.value.problems)


def test_load_catalog_from_a_missing_source_raises(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no such catalog"):
        load_catalog_from(tmp_path / "missing")


def test_find_content_dir_prefers_the_explicit_path(tmp_path: Path) -> None:
    assert find_content_dir(tmp_path) == tmp_path
    found = find_content_dir(None)
    assert found is not None
    assert found.name in {"content", "compiled_catalog.json"}


def test_schema_of_the_template_model_is_exposed() -> None:
    schema = WorkflowTemplate.model_json_schema()
    assert "tasks" in schema["properties"]


@pytest.mark.parametrize("template_id", sorted(EXPECTED_TEMPLATES))
def test_every_prompt_renders_once_upstream_outputs_exist(catalog: TemplateCatalog, template_id: str) -> None:
    # Given a bundle and an output for every assistant step, shaped by its output_schema
    template = catalog.get(template_id)
    assert template is not None
    outputs = {
        task.key: {name: f"<{name}>" for name in task.assistant.output_schema["properties"]}
        for task in template.tasks
        if task.assistant
    }
    bundle = {"title": "Sample bundle", "anchor_date": date(2025, 6, 30)}
    # ... and the kick-off inputs of its first example (defaults filled)
    inputs = resolve_inputs(template.inputs, template.examples[0].inputs if template.examples else {})
    for task in template.tasks:
        if task.assistant:
            # When the prompt is rendered, Then no variable is missing and none is left unrendered
            title = task_title(task.title, inputs)
            context = {"bundle": bundle, "task": {"title": title}, "outputs": outputs, "inputs": inputs}
            rendered = render_strict(task.assistant.prompt, context)
            assert "{{" not in rendered
