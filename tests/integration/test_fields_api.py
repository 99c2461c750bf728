"""Kick-off inputs and task fields through the API (moto)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.api import ApiClient, Caller
from workengine.handlers.api import dependencies as deps
from workengine.settings import get_settings
from workengine_tools.local.assistant_backend import drain_jobs_once

CONTENT = Path(__file__).resolve().parents[1] / "fixtures" / "workflow_content"


@pytest.fixture
def flow(aws_env: None, member: Caller, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    monkeypatch.setenv("WORKENGINE_CONTENT_PATH", str(CONTENT))
    deps.reset()
    return ApiClient(member)


def create(api: ApiClient, **inputs: Any) -> Any:
    return api.post(
        "/bundles",
        {"template_id": "review-flow", "title": "Deal", "anchor_date": "2030-06-30", "inputs": inputs},
    )


def task(body: dict[str, Any], key: str) -> dict[str, Any]:
    return next(t for t in body["tasks"] if t["template_task_ref"] == key)


def test_inputs_are_validated_defaulted_and_used_in_task_titles(flow: ApiClient) -> None:
    response = create(flow, client="Acme")
    assert response.status == 201, response.body
    assert response.body["bundle"]["inputs"] == {"client": "Acme", "amount": 100, "region": "eu"}
    intake = task(response.body, "intake")
    assert intake["title"] == "Intake for Acme"
    assert [spec["key"] for spec in intake["field_specs"]][:2] == ["risk", "score"]
    assert intake["fields"] == {}


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({}, "inputs.client"),
        ({"client": "Acme", "amount": -1}, "inputs.amount"),
        ({"client": "Acme", "amount": "many"}, "inputs.amount"),
        ({"client": "Acme", "region": "apac"}, "inputs.region"),
        ({"client": "Acme", "colour": "red"}, "inputs.colour"),
        ({"client": {"name": "Acme"}}, "inputs.client"),
    ],
)
def test_invalid_inputs_answer_422_and_create_nothing(
    flow: ApiClient, inputs: dict[str, Any], field: str
) -> None:
    response = create(flow, **inputs)
    assert response.status == 422 and response.error_code == "VALIDATION_ERROR", response.body
    assert response.body["error"]["details"]["field"] == field
    assert flow.get("/bundles").body["items"] == []


def test_fields_merge_clear_validate_gate_done_and_are_audited(flow: ApiClient) -> None:
    created = create(flow, client="Acme").body
    intake_id = task(created, "intake")["task_id"]

    # a wrong value is refused with the field named, and writes nothing
    bad = flow.patch(f"/tasks/{intake_id}", {"fields": {"score": 101}})
    assert bad.status == 422 and bad.body["error"]["details"]["field"] == "fields.score"
    unknown = flow.patch(f"/tasks/{intake_id}", {"fields": {"colour": "red"}})
    assert unknown.status == 422 and unknown.body["error"]["details"]["field"] == "fields.colour"

    # done is refused while the required field is empty
    refused = flow.patch(f"/tasks/{intake_id}", {"status": "done", "fields": {"score": 40}})
    assert refused.status == 422 and refused.error_code == "MISSING_FIELDS"
    assert refused.body["error"]["details"]["missing"] == ["risk"]

    # values merge; null clears one
    first = flow.patch(f"/tasks/{intake_id}", {"fields": {"score": 40, "notes": "fine", "signed": False}})
    assert first.status == 200 and first.body["task"]["fields"] == {
        "score": 40,
        "notes": "fine",
        "signed": False,
    }
    second = flow.patch(f"/tasks/{intake_id}", {"fields": {"notes": None, "risk": "low"}})
    assert second.body["task"]["fields"] == {"score": 40, "signed": False, "risk": "low"}
    done = flow.patch(f"/tasks/{intake_id}", {"status": "done"})
    assert done.status == 200 and done.body["task"]["status"] == "done"

    # every change is one audit event with the values before and after
    events = flow.get(f"/bundles/{created['bundle']['bundle_id']}/events").body["items"]
    changes = [e for e in events if e["entity_id"] == intake_id and e["action"] == "updated"]
    assert [(e["before"]["fields"], e["after"]["fields"]) for e in changes[:2]] == [
        ({}, {"score": 40, "notes": "fine", "signed": False}),
        ({"score": 40, "notes": "fine", "signed": False}, {"score": 40, "signed": False, "risk": "low"}),
    ]


def test_prompts_read_inputs_and_earlier_task_fields(flow: ApiClient) -> None:
    created = create(flow, client="Acme", amount=2500).body
    flow.patch(f"/tasks/{task(created, 'intake')['task_id']}", {"fields": {"risk": "high"}})
    queued = flow.post(
        "/assistant-jobs",
        {
            "bundle_id": created["bundle"]["bundle_id"],
            "task_id": task(created, "summary")["task_id"],
            "kind": "task_step",
        },
    )
    assert queued.status == 202, queued.body
    while drain_jobs_once(get_settings()) > 0:
        pass
    job = flow.get(f"/assistant-jobs/{queued.body['job']['job_id']}").body["job"]
    assert job["status"] == "succeeded", job
    assert job["prompt"] == "Summarise the deal with Acme (2500 EUR); risk high."
