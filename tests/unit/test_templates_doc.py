"""docs/templates.md documents the template format as the models define it: every field of every model
is named there, and the field tables name no field the models do not have."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from workengine.domain.fields import FieldSpec
from workengine.domain.template import (
    ApprovalDefinition,
    AssistantStep,
    EventTrigger,
    ManualTrigger,
    Phase,
    RequiredLink,
    ScheduleTrigger,
    TaskDefinition,
    TemplateExample,
    WorkflowTemplate,
)

TEMPLATES_DOC = Path(__file__).resolve().parents[2] / "docs" / "templates.md"
MODELS: list[type[BaseModel]] = [
    WorkflowTemplate,
    Phase,
    RequiredLink,
    TaskDefinition,
    FieldSpec,
    ApprovalDefinition,
    AssistantStep,
    ManualTrigger,
    ScheduleTrigger,
    EventTrigger,
    TemplateExample,
]
# The tables whose first column lists fields: heading → the model it describes.
TABLES = {
    "## Template fields": WorkflowTemplate,
    "## Tasks": TaskDefinition,
    "## Fields and inputs": FieldSpec,
}


def _section(text: str, heading: str) -> str:
    start = text.index(heading + "\n")
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else None]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_of_the_format_is_documented(model: type[BaseModel]) -> None:
    text = TEMPLATES_DOC.read_text()
    missing = [name for name in model.model_fields if f"`{name}`" not in text and f"{name}:" not in text]
    assert missing == [], f"{model.__name__} fields not in docs/templates.md"


@pytest.mark.parametrize("heading", sorted(TABLES))
def test_the_field_tables_name_only_real_fields(heading: str) -> None:
    section = _section(TEMPLATES_DOC.read_text(), heading)
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named = {name for row in rows for name in re.findall(r"`([a-z_]+)`", row.split("|")[1])}
    assert named, heading
    assert sorted(named - set(TABLES[heading].model_fields)) == []
