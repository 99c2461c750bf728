"""Conditions reading ``tasks.<key>.outputs``: a succeeded assistant job re-evaluates them (moto)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tests.integration.test_assistant_jobs import CONTENT, _service, _task_id
from tests.support.api import ApiClient, Caller
from workengine.handlers.api import dependencies as deps


@pytest.fixture
def jobs_api(aws_env: None, member: Caller, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    monkeypatch.setenv("WORKENGINE_CONTENT_PATH", str(CONTENT))
    deps.reset()
    return ApiClient(member)


class RatingProvider:
    """Answers every prompt with the given risk rating."""

    name = "rating"

    def __init__(self, risk: str) -> None:
        self.risk = risk

    def generate(self, prompt: str, output_schema: Mapping[str, Any]) -> dict[str, Any]:
        return {"risk": self.risk}


def _tasks(api: ApiClient, bundle_id: str) -> dict[str, dict[str, Any]]:
    return {t["template_task_ref"]: t for t in api.get(f"/bundles/{bundle_id}").body["tasks"]}


def _run_assessment(api: ApiClient, bundle: Mapping[str, Any], risk: str) -> None:
    response = api.post(
        "/assistant-jobs",
        {
            "bundle_id": bundle["bundle"]["bundle_id"],
            "task_id": _task_id(bundle, "assess"),
            "kind": "task_step",
        },
    )
    assert response.status == 202, response.body
    job = response.body["job"]
    done = _service(RatingProvider(risk), []).run_job(job["tenant_id"], job["bundle_id"], job["job_id"])
    assert done.status == "succeeded", done.error


def test_a_new_output_flips_the_conditions_reading_it(jobs_api: ApiClient) -> None:
    # Given a bundle whose rescue task waits for the assessment's output, with the assessment done
    created = jobs_api.post(
        "/bundles", {"template_id": "output-flow", "title": "Renewal", "anchor_date": "2030-09-30"}
    )
    assert created.status == 201, created.body
    bundle = created.body
    bundle_id = bundle["bundle"]["bundle_id"]
    assess = _task_id(bundle, "assess")
    assert jobs_api.patch(f"/tasks/{assess}", {"status": "done"}).status == 200
    assert _tasks(jobs_api, bundle_id)["rescue"]["condition"] == "pending"  # done, but no output yet

    # When the assessment's job rates the risk high
    _run_assessment(jobs_api, bundle, "high")

    # Then the rescue task's condition is met, by one system audit event
    rescue = _tasks(jobs_api, bundle_id)["rescue"]
    assert (rescue["condition"], rescue["status"]) == ("met", "todo")
    events = jobs_api.get(f"/bundles/{bundle_id}/events").body["items"]
    flips = [e["actor"] for e in events if e["action"] == "condition_evaluated"]
    assert flips == ["system"]

    # When a later run rates it low, the latest output wins and the task is skipped by its condition
    _run_assessment(jobs_api, bundle, "low")
    rescue = _tasks(jobs_api, bundle_id)["rescue"]
    assert (rescue["condition"], rescue["status"], rescue["skip_reason"]) == (
        "not_met",
        "skipped",
        "condition",
    )
