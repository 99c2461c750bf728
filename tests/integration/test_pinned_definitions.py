"""Bundles keep the definition they were created from, whatever the catalog says later."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import ApiClient, Caller
from workengine.dal import table as t
from workengine.dal.aws import client
from workengine.handlers.api import dependencies as deps
from workengine.settings import get_settings
from workengine_tools.local.assistant_backend import drain_jobs_once

CONTENT = Path(__file__).resolve().parents[1] / "fixtures" / "assistant_content"
V1_PROMPT = 'Outline a report called "{{ bundle.title }}"'
V2_PROMPT = 'Summarise the plan for "{{ bundle.title }}"'


@pytest.fixture
def content(aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    monkeypatch.setenv("WORKENGINE_CONTENT_PATH", str(target))
    deps.reset()
    return target


def _publish_v2(content: Path) -> None:
    """Version 2: the evidence task and its phase are gone and the outline prompt says something else."""
    path = content / "templates" / "artifact-flow.yaml"
    text = path.read_text()
    evidence = text.index("  - key: evidence")
    text = text[:evidence].replace("version: 1", "version: 2").replace(V1_PROMPT, V2_PROMPT)
    text = text.replace("  - {id: deliver, title: Deliver}\n", "")
    path.write_text(text)
    deps.reset()  # a new container: the catalog is loaded again, nothing is cached


def _create(api: ApiClient, title: str) -> dict[str, Any]:
    response = api.post(
        "/bundles", {"template_id": "artifact-flow", "title": title, "anchor_date": "2030-09-30"}
    )
    assert response.status == 201, response.body
    body: dict[str, Any] = response.body
    return body


def _run_outline(api: ApiClient, created: dict[str, Any]) -> str:
    task_id = next(t["task_id"] for t in created["tasks"] if t["template_task_ref"] == "outline")
    response = api.post(
        "/assistant-jobs",
        {"bundle_id": created["bundle"]["bundle_id"], "task_id": task_id, "kind": "task_step"},
    )
    assert response.status == 202, response.body
    while drain_jobs_once(get_settings()) > 0:
        pass
    job = api.get(f"/assistant-jobs/{response.body['job']['job_id']}").body["job"]
    assert job["status"] == "succeeded", job
    return str(job["prompt"])


def _stored_definitions() -> list[str]:
    response = client("dynamodb").query(
        TableName=get_settings().table_name,
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": t.PK},
        ExpressionAttributeValues={":pk": {"S": t.tenant_pk("acme", t.DEFINITIONS_COLLECTION)}},
    )
    return [item[t.SK]["S"] for item in response["Items"]]


def test_v1_bundles_keep_running_as_v1_after_the_template_changes(content: Path, member: Caller) -> None:
    # Given two bundles created from version 1
    api = ApiClient(member)
    first, second = _create(api, "Q3 report"), _create(api, "Q4 report")
    v1 = first["bundle"]["template_version"]
    assert second["bundle"]["template_version"] == v1 and v1.startswith("1+")

    # When the template loses a task and changes a prompt, and the catalog is reloaded
    _publish_v2(content)
    third = _create(api, "Q1 report")

    # Then new bundles run on version 2 ...
    assert third["bundle"]["template_version"].startswith("2+")
    assert [t["template_task_ref"] for t in third["tasks"]] == ["outline", "draft"]
    assert _run_outline(api, third).startswith('Summarise the plan for "Q1 report"')
    # ... and the version 1 bundles still run version 1: their prompt, their definition
    assert _run_outline(api, first).startswith('Outline a report called "Q3 report"')
    pinned = api.get(f"/bundles/{first['bundle']['bundle_id']}/template")
    assert pinned.status == 200, pinned.body
    assert pinned.body["version"] == 1
    assert [task["key"] for task in pinned.body["tasks"]] == ["outline", "draft", "evidence"]
    assert pinned.body["tasks"][0]["assistant"]["prompt"].startswith(V1_PROMPT)
    current = api.get(f"/bundles/{third['bundle']['bundle_id']}/template").body
    assert current["version"] == 2 and len(current["tasks"]) == 2
    # ... and each definition was stored once, keyed by template and pinned version
    assert sorted(_stored_definitions()) == sorted(
        [f"D#artifact-flow#{v1}", f"D#artifact-flow#{third['bundle']['template_version']}"]
    )


def test_a_v1_bundle_completes_through_its_own_phases_after_the_change(content: Path, member: Caller) -> None:
    # Given a v1 bundle, then a v2 catalog without the "evidence" task
    api = ApiClient(member)
    created = _create(api, "Q3 report")
    _publish_v2(content)

    # When the v1-only task is updated
    evidence = next(t for t in created["tasks"] if t["template_task_ref"] == "evidence")
    response = api.patch(f"/tasks/{evidence['task_id']}", {"status": "in_progress"})

    # Then it still belongs to a phase of the bundle's definition and the stage follows it
    assert response.status == 200, response.body
    bundle = api.get(f"/bundles/{created['bundle']['bundle_id']}").body["bundle"]
    assert bundle["stage"] == "prepare"
    moved = api.patch(f"/bundles/{created['bundle']['bundle_id']}", {"stage": "deliver"})
    assert moved.status == 200, moved.body


def test_the_pinned_definition_of_another_tenants_bundle_is_not_found(
    content: Path, member: Caller, outsider: Caller
) -> None:
    api = ApiClient(member)
    created = _create(api, "Q3 report")
    response = api.get(f"/bundles/{created['bundle']['bundle_id']}/template", caller=outsider)
    assert response.status == 404 and response.error_code == "NOT_FOUND"
