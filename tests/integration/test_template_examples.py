"""Every example a template declares instantiates through the API (the real content, on moto)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.api import ApiClient, Caller
from workengine.catalog.loader import REPO_CONTENT_DIR, load_catalog
from workengine.handlers.api import dependencies as deps

CATALOG = load_catalog(REPO_CONTENT_DIR)
EXAMPLES = [
    pytest.param(template.template_id, index, id=f"{template.template_id}[{index}]")
    for template in CATALOG.list()
    for index in range(len(template.examples))
]


def test_every_template_declares_examples() -> None:
    assert [t.template_id for t in CATALOG.list() if not t.examples] == []


@pytest.mark.parametrize(("template_id", "index"), EXAMPLES)
def test_example_instantiates(
    aws_env: None, member: Caller, monkeypatch: pytest.MonkeyPatch, template_id: str, index: int
) -> None:
    monkeypatch.setenv("WORKENGINE_CONTENT_PATH", str(REPO_CONTENT_DIR))
    deps.reset()
    template = CATALOG.require(template_id)
    example = template.examples[index]

    response = ApiClient(member).post(
        "/bundles",
        {
            "template_id": template_id,
            "title": example.title,
            "anchor_date": (example.anchor_date or date(2030, 6, 30)).isoformat(),
            "inputs": example.inputs,
            "tags": example.tags,
            "assignees": example.assignees,
        },
    )

    assert response.status == 201, response.body
    bundle, tasks = response.body["bundle"], response.body["tasks"]
    assert set(example.inputs.items()) <= set(bundle["inputs"].items())
    conditional = {d.key for d in template.tasks if d.when}
    for task in tasks:
        assert (task["condition"] is not None) is (task["template_task_ref"] in conditional)
        assert "{{" not in task["title"]
