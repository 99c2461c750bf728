"""``validate_content`` and ``workengine templates validate`` on deliberately broken content."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from workengine.catalog.loader import load_catalog
from workengine.catalog.problems import CatalogError, Problem
from workengine.catalog.validate import validate_content
from workengine_tools.cli.main import main

DOCS: dict[str, Any] = {
    "docs": {
        "DOC-A": {
            "title": "Runbook A",
            "url": "https://wiki.example.com/a",
            "steps": [{"id": "one", "title": "Step one"}, {"id": "two", "title": "Step two"}],
        }
    }
}

VALID: dict[str, Any] = {
    "template_id": "sample",
    "version": 1,
    "title": "Sample",
    "owner_role": "owner",
    "source_doc_ids": ["DOC-A"],
    "phases": [{"id": "plan", "title": "Plan"}, {"id": "do", "title": "Do"}],
    "tasks": [
        {
            "key": "draft",
            "title": "Draft",
            "phase": "plan",
            "offset_days": -5,
            "default_assignee": "owner",
            "proof_required": ["comment"],
            "instruction_doc_id": "DOC-A",
            "instruction_step_id": "one",
            "assistant": {
                "prompt": "Draft {{ bundle.title }} for {{ task.title }}",
                "output_schema": {
                    "type": "object",
                    "properties": {"summary": {"type": "string"}},
                    "required": ["summary"],
                },
                "fill_proof_comment": "summary",
            },
        },
        {
            "key": "review",
            "title": "Review",
            "phase": "do",
            "depends_on": ["draft"],
            "default_assignee": "editor",
            "assistant": {"prompt": "Review {{ outputs.draft.summary }}"},
        },
        {
            "key": "publish",
            "title": "Publish",
            "phase": "do",
            "offset_from": "review",
            "offset_days": 2,
            "depends_on": ["review"],
        },
    ],
    "triggers": [
        {"type": "schedule", "cron": "0 8 1 * *", "title_pattern": "Sample {{ anchor_date | month_name }}"}
    ],
}


def write_content(root: Path, template: dict[str, Any] | str, name: str = "sample.yaml") -> Path:
    content = root / "content"
    (content / "templates").mkdir(parents=True, exist_ok=True)
    (content / "docs.yaml").write_text(yaml.safe_dump(DOCS), encoding="utf-8")
    text = template if isinstance(template, str) else yaml.safe_dump(template, sort_keys=False)
    (content / "templates" / name).write_text(text, encoding="utf-8")
    return content


def broken(**changes: Any) -> dict[str, Any]:
    template = copy.deepcopy(VALID)
    template.update(changes)
    return template


def with_task(index: int, **changes: Any) -> dict[str, Any]:
    template = copy.deepcopy(VALID)
    template["tasks"][index].update(changes)
    return template


def messages(content: Path) -> list[str]:
    return [str(problem) for problem in validate_content(content)]


def test_valid_sample_has_no_problems(tmp_path: Path) -> None:
    assert messages(write_content(tmp_path, VALID)) == []


def test_cycle_is_named(tmp_path: Path) -> None:
    # Given draft -> publish -> review -> draft through depends_on and offset_from edges
    content = write_content(tmp_path, with_task(0, depends_on=["publish"]))
    # When validated
    found = messages(content)
    # Then one problem names the whole cycle
    assert found == [
        "content/templates/sample.yaml: tasks[0].depends_on: dependency cycle: "
        "draft -> publish -> review -> draft"
    ]


def test_self_dependency_is_a_cycle(tmp_path: Path) -> None:
    found = messages(write_content(tmp_path, with_task(2, depends_on=["publish"], offset_from=None)))
    assert "content/templates/sample.yaml: tasks[2].depends_on: dependency cycle: publish -> publish" in found


def test_duplicate_task_key(tmp_path: Path) -> None:
    found = messages(write_content(tmp_path, with_task(2, key="review", depends_on=[], offset_from=None)))
    assert "content/templates/sample.yaml: tasks[2].key: duplicate task key 'review'" in found


def test_unknown_dependency(tmp_path: Path) -> None:
    found = messages(write_content(tmp_path, with_task(1, depends_on=["draft", "foo"])))
    assert found == ["content/templates/sample.yaml: tasks[1].depends_on: unknown task key 'foo'"]


def test_unknown_offset_from(tmp_path: Path) -> None:
    found = messages(write_content(tmp_path, with_task(2, offset_from="nope")))
    assert found == ["content/templates/sample.yaml: tasks[2].offset_from: unknown task key 'nope'"]


def test_unknown_doc_id_and_step(tmp_path: Path) -> None:
    template = broken(source_doc_ids=["DOC-NOPE"])
    template["tasks"][0]["instruction_step_id"] = "three"
    found = messages(write_content(tmp_path, template))
    assert found == [
        "content/templates/sample.yaml: source_doc_ids[0]: unknown doc ID 'DOC-NOPE'",
        "content/templates/sample.yaml: tasks[0].instruction_step_id: doc 'DOC-A' has no step 'three'",
    ]


def test_unknown_instruction_doc_id(tmp_path: Path) -> None:
    found = messages(write_content(tmp_path, with_task(0, instruction_doc_id="DOC-X")))
    assert found == ["content/templates/sample.yaml: tasks[0].instruction_doc_id: unknown doc ID 'DOC-X'"]


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("0 8 1 *", "must have 5 fields"),
        ("0 25 1 * *", "does not parse"),
        ("0 0 8 1 * *", "must have 5 fields"),
    ],
)
def test_bad_cron(tmp_path: Path, cron: str, expected: str) -> None:
    template = broken(triggers=[{"type": "schedule", "cron": cron, "title_pattern": "x"}])
    (problem,) = validate_content(write_content(tmp_path, template))
    assert problem.field == "triggers[0].cron"
    assert expected in problem.message


def test_unknown_prompt_root(tmp_path: Path) -> None:
    template = with_task(0, assistant={**VALID["tasks"][0]["assistant"], "prompt": "Hi {{ user.name }}"})
    found = messages(write_content(tmp_path, template))
    assert found == [
        "content/templates/sample.yaml: tasks[0].assistant.prompt: unknown variable root 'user' in "
        "{{ user.name }} (known: bundle, inputs, outputs, task, tasks)"
    ]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("{{ outputs.ghost.text }}", "unknown task key 'ghost'"),
        ("{{ outputs.publish.text }}", "task 'publish' has no assistant step"),
        ("{{ outputs.draft.nope }}", "output of task 'draft' has no property 'nope'"),
        ("{{ bundle.titel }}", "bundle has no field 'titel'"),
        ("{{ task.title | shout }}", "unknown filter 'shout'"),
        ("{{ bundle.title", "unclosed '{{'"),
    ],
)
def test_prompt_variable_problems(tmp_path: Path, prompt: str, expected: str) -> None:
    template = with_task(1, assistant={"prompt": prompt})
    (problem,) = validate_content(write_content(tmp_path, template))
    assert problem.field == "tasks[1].assistant.prompt"
    assert expected in problem.message


def test_output_of_a_task_that_is_not_upstream(tmp_path: Path) -> None:
    template = with_task(1, depends_on=[])
    template["tasks"][2]["offset_from"] = None
    (problem,) = validate_content(write_content(tmp_path, template))
    assert problem.message == "task 'draft' is not upstream of 'review' (add it to depends_on)"


def test_fill_proof_comment_must_name_an_output_property(tmp_path: Path) -> None:
    assistant = {**VALID["tasks"][0]["assistant"], "fill_proof_comment": "missing"}
    (problem,) = validate_content(write_content(tmp_path, with_task(0, assistant=assistant)))
    assert str(problem) == (
        "content/templates/sample.yaml: tasks[0].assistant.fill_proof_comment: "
        "'missing' is not a property of output_schema"
    )


def test_output_schema_must_be_a_valid_object_schema(tmp_path: Path) -> None:
    assistant = {"prompt": "x", "output_schema": {"type": "objekt", "properties": {"a": {"type": "string"}}}}
    found = validate_content(write_content(tmp_path, with_task(1, assistant=assistant)))
    assert found
    assert all(problem.field == "tasks[1].assistant.output_schema" for problem in found)
    assert "not a valid JSON Schema" in found[0].message


def test_unknown_phase(tmp_path: Path) -> None:
    found = messages(write_content(tmp_path, with_task(1, phase="ship")))
    assert found == ["content/templates/sample.yaml: tasks[1].phase: unknown phase 'ship'"]


def test_unknown_title_root(tmp_path: Path) -> None:
    trigger = {"type": "schedule", "cron": "0 8 1 * *", "title_pattern": "{{ bundle.title }}"}
    (problem,) = validate_content(write_content(tmp_path, broken(triggers=[trigger])))
    assert problem.field == "triggers[0].title_pattern"
    assert "unknown variable root 'bundle'" in problem.message


def test_schema_errors_are_located(tmp_path: Path) -> None:
    found = messages(write_content(tmp_path, with_task(0, proof_required=["selfie"], colour="red")))
    assert any(
        m.startswith("content/templates/sample.yaml: tasks[0].proof_required[0]: Input should be")
        for m in found
    )
    assert "content/templates/sample.yaml: tasks[0].colour: Extra inputs are not permitted" in found


def test_yaml_errors_name_the_line(tmp_path: Path) -> None:
    (problem,) = validate_content(write_content(tmp_path, "template_id: [unclosed\n"))
    assert problem.file == "content/templates/sample.yaml"
    assert problem.message.startswith("YAML error:")
    assert "line" in problem.message


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    text = yaml.safe_dump(VALID, sort_keys=False) + "title: Again\n"
    (problem,) = validate_content(write_content(tmp_path, text))
    assert "duplicate key 'title'" in problem.message


def test_file_name_must_match_and_ids_must_be_unique(tmp_path: Path) -> None:
    content = write_content(tmp_path, VALID)
    write_content(tmp_path, VALID, name="other.yaml")
    found = messages(content)
    assert found == [
        "content/templates/other.yaml: template_id: 'sample' does not match the file name 'other.yaml'",
        "content/templates/sample.yaml: template_id: duplicate template id 'sample' "
        "(also in content/templates/other.yaml)",
    ]


def test_owner_role_must_be_used(tmp_path: Path) -> None:
    (problem,) = validate_content(write_content(tmp_path, broken(owner_role="producer")))
    assert str(problem) == (
        "content/templates/sample.yaml: owner_role: role 'producer' is not the default_assignee of any task"
    )


def test_loading_invalid_content_raises_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as caught:
        load_catalog(write_content(tmp_path, with_task(1, phase="ship")))
    assert caught.value.problems == [
        Problem("content/templates/sample.yaml", "tasks[1].phase", "unknown phase 'ship'")
    ]


def test_cli_validate_reports_problems_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = write_content(tmp_path, with_task(1, depends_on=["draft", "foo"]))
    exit_code = main(["templates", "validate", str(content)])
    captured = capsys.readouterr()
    assert exit_code == 1
    assert "content/templates/sample.yaml: tasks[1].depends_on: unknown task key 'foo'" in captured.err
    assert "OK" not in captured.out


def test_cli_validate_succeeds_on_valid_content(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = main(["templates", "validate", str(write_content(tmp_path, VALID))])
    assert exit_code == 0
    assert (
        capsys.readouterr().out.strip() == "OK: 1 templates valid, 0 example runs simulated without problems"
    )


def test_cli_validate_defaults_to_the_shipped_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "validate"]) == 0
    assert (
        capsys.readouterr().out.strip() == "OK: 6 templates valid, 9 example runs simulated without problems"
    )


def test_cli_schema_prints_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "WorkflowTemplate"


DATA_INPUTS = [
    {"key": "client", "title": "Client", "type": "text", "required": True},
    {"key": "note", "title": "Note", "type": "text"},
]
DATA_FIELDS = [{"key": "risk", "title": "Risk", "type": "choice", "choices": ["low", "high"]}]


def test_workflow_data_references_are_checked(tmp_path: Path) -> None:
    template = broken(inputs=DATA_INPUTS, examples=[{"inputs": {"client": "Acme", "colour": "red"}}])
    template["tasks"][0]["title"] = "Draft for {{ inputs.client }} ({{ inputs.note }}, {{ inputs.nope }})"
    template["tasks"][0]["fields"] = [*DATA_FIELDS, *DATA_FIELDS]
    template["tasks"][1]["assistant"] = {
        "prompt": "{{ inputs.client }} {{ inputs.missing }} {{ tasks.draft.fields.risk }} "
        "{{ tasks.draft.fields.size }} {{ tasks.ghost.status }} {{ tasks.draft.owner }}"
    }
    template["triggers"][0]["title_pattern"] = "Sample {{ inputs.client }} {{ inputs.note }}"

    found = messages(write_content(tmp_path, template))

    prefix = "content/templates/sample.yaml: "
    assert sorted(found) == sorted(
        prefix + message
        for message in [
            "tasks[0].title: input 'note' in {{ inputs.note }} must be required or have a default",
            "tasks[0].title: unknown input 'nope' in {{ inputs.nope }}",
            "tasks[0].fields[1].key: duplicate field key 'risk'",
            "tasks[1].assistant.prompt: {{ inputs.missing }} must name an input of the template: "
            "inputs.<key>",
            "tasks[1].assistant.prompt: task 'draft' has no field 'size' in {{ tasks.draft.fields.size }}",
            "tasks[1].assistant.prompt: unknown task key 'ghost' in {{ tasks.ghost.status }}",
            "tasks[1].assistant.prompt: {{ tasks.draft.owner }} must read "
            "tasks.<task_key>.(fields|outputs|status)",
            "triggers[0].title_pattern: input 'note' in {{ inputs.note }} must be required or have a default",
            "examples[0].inputs.colour: inputs.colour is not an input of this template",
        ]
    )


def test_conditions_are_compiled_and_their_references_named(tmp_path: Path) -> None:
    template = broken(inputs=DATA_INPUTS)
    template["tasks"][0]["fields"] = DATA_FIELDS
    template["tasks"][1]["when"] = 'tasks.draft.fields.risk == "high" && inputs.colour == "red"'
    template["tasks"][2]["when"] = (
        "tasks.draft.fields.size > 3 || tasks.ghost.status == 'done' || bundle.owner == 'x'"
    )
    template["tasks"][0]["when"] = "tasks.publish.status == 'done'"  # publish waits for draft: a cycle

    found = messages(write_content(tmp_path, template))

    prefix = "content/templates/sample.yaml: "
    assert prefix + "tasks[1].when: inputs.colour: unknown input 'colour'" in found
    assert prefix + "tasks[2].when: tasks.draft.fields.size: task 'draft' has no field 'size'" in found
    assert prefix + "tasks[2].when: tasks.ghost.status: unknown task key 'ghost'" in found
    assert any(f.startswith(prefix + "tasks[2].when: bundle.owner: bundle has no 'owner'") for f in found)
    assert any("dependency cycle: draft -> publish -> review -> draft" in f for f in found)
    # publish's condition reads draft
    assert any("dependency cycle: draft -> publish -> draft" in f for f in found)
    assert len(found) == 6


def test_a_condition_that_does_not_compile_is_named(tmp_path: Path) -> None:
    found = messages(write_content(tmp_path, with_task(1, when="inputs.a >")))
    assert len(found) == 1 and found[0].startswith("content/templates/sample.yaml: tasks[1].when: ERROR:")
    assert "Syntax error" in found[0]


def test_conditions_may_read_declared_assistant_output_properties(tmp_path: Path) -> None:
    # Given a condition reading a property draft's output schema declares, it is valid
    template = copy.deepcopy(VALID)
    template["tasks"][2]["when"] = 'tasks.draft.outputs.summary != ""'
    assert messages(write_content(tmp_path, template)) == []

    # When it reads an undeclared property instead, and another task's output that has no assistant step
    template["tasks"][2]["when"] = 'tasks.draft.outputs.verdict == "go"'
    template["tasks"].append(
        {"key": "close", "title": "Close", "phase": "do", "when": "tasks.publish.outputs.x == 1"}
    )
    found = messages(write_content(tmp_path, template))

    # Then both are named
    prefix = "content/templates/sample.yaml: "
    assert sorted(found) == [
        prefix + "tasks[2].when: tasks.draft.outputs.verdict: output of task 'draft' has no property "
        "'verdict'",
        prefix + "tasks[3].when: tasks.publish.outputs.x: task 'publish' has no assistant step, so it has no "
        "outputs",
    ]
