"""Conditions through the API (moto): creation, flips on field changes, audit, completion, pinning."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import ApiClient, Caller
from workengine.handlers.api import dependencies as deps

CONTENT = Path(__file__).resolve().parents[1] / "fixtures" / "workflow_content"


@pytest.fixture
def content(aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    monkeypatch.setenv("WORKENGINE_CONTENT_PATH", str(target))
    deps.reset()
    return target


def create(api: ApiClient, **inputs: Any) -> dict[str, Any]:
    response = api.post(
        "/bundles",
        {
            "template_id": "review-flow",
            "title": "Deal",
            "anchor_date": "2030-06-30",
            "inputs": {"client": "Acme", **inputs},
        },
    )
    assert response.status == 201, response.body
    body: dict[str, Any] = response.body
    return body


def tasks_of(api: ApiClient, bundle_id: str) -> dict[str, dict[str, Any]]:
    body = api.get(f"/bundles/{bundle_id}").body
    return {t["template_task_ref"]: t for t in body["tasks"]}


def test_completing_a_task_flips_two_conditions_and_audits_each(content: Path, member: Caller) -> None:
    # Given a deal whose legal and finance reviews wait for the intake's fields
    api = ApiClient(member)
    created = create(api)
    bundle_id = created["bundle"]["bundle_id"]
    before = tasks_of(api, bundle_id)
    assert (before["legal"]["condition"], before["finance"]["condition"]) == ("pending", "pending")
    assert before["vip_call"]["status"] == "skipped" and before["vip_call"]["skip_reason"] == "condition"

    # When the intake is completed with low risk and a high score
    done = api.patch(
        f"/tasks/{before['intake']['task_id']}", {"status": "done", "fields": {"risk": "low", "score": 85}}
    )
    assert done.status == 200, done.body

    # Then legal is skipped by its condition and finance is met, each with one system audit event
    after = tasks_of(api, bundle_id)
    assert (after["legal"]["status"], after["legal"]["condition"], after["legal"]["skip_reason"]) == (
        "skipped",
        "not_met",
        "condition",
    )
    assert (after["finance"]["status"], after["finance"]["condition"]) == ("todo", "met")
    events = api.get(f"/bundles/{bundle_id}/events").body["items"]
    flips = [e for e in events if e["action"] == "condition_evaluated"]
    assert sorted(e["entity_id"] for e in flips) == sorted(
        [after["legal"]["task_id"], after["finance"]["task_id"]]
    )
    assert all(e["actor"] == "system" for e in flips)

    # When the risk is raised afterwards, legal comes back to todo
    api.patch(f"/tasks/{before['intake']['task_id']}", {"fields": {"risk": "high"}})
    again = tasks_of(api, bundle_id)
    assert (again["legal"]["status"], again["legal"]["condition"], again["legal"]["skip_reason"]) == (
        "todo",
        "met",
        None,
    )


def test_condition_skipped_tasks_count_as_finished_for_dependencies_and_completion(
    content: Path, member: Caller
) -> None:
    api = ApiClient(member)
    bundle_id = create(api)["bundle"]["bundle_id"]
    tasks = tasks_of(api, bundle_id)
    api.patch(
        f"/tasks/{tasks['intake']['task_id']}", {"status": "done", "fields": {"risk": "low", "score": 10}}
    )
    api.patch(f"/tasks/{tasks['summary']['task_id']}", {"status": "done"})
    # legal and finance are skipped by their conditions: close is actionable and completes the bundle
    closed = api.patch(f"/tasks/{tasks['close']['task_id']}", {"status": "done"})
    assert closed.status == 200, closed.body
    assert api.get(f"/bundles/{bundle_id}").body["bundle"]["status"] == "completed"


def test_a_bundle_keeps_its_conditions_after_the_template_changes(content: Path, member: Caller) -> None:
    # Given a v1 bundle (legal when risk is high), then v2 where legal runs when risk is medium
    api = ApiClient(member)
    old = create(api)["bundle"]["bundle_id"]
    path = content / "templates" / "review-flow.yaml"
    path.write_text(
        path.read_text().replace("version: 1", "version: 2").replace('risk == "high"', 'risk == "medium"')
    )
    deps.reset()
    new = create(api)["bundle"]["bundle_id"]

    # When both intakes record a high risk
    for bundle_id in (old, new):
        intake = tasks_of(api, bundle_id)["intake"]["task_id"]
        assert api.patch(f"/tasks/{intake}", {"status": "done", "fields": {"risk": "high"}}).status == 200

    # Then the v1 bundle runs v1's condition and the v2 bundle v2's
    assert tasks_of(api, old)["legal"]["condition"] == "met"
    assert tasks_of(api, new)["legal"]["condition"] == "not_met"
    assert 'risk == "high"' in api.get(f"/bundles/{old}/template").body["tasks"][2]["when"]


def test_the_sweep_reevaluates_time_conditions_once_a_day(content: Path, member: Caller) -> None:
    from datetime import UTC, datetime

    from workengine.handlers.sweep import run_sweep

    # Given a deal four years out: "call the VIP client" waits for the last week before the anchor
    api = ApiClient(member)
    bundle_id = create(api)["bundle"]["bundle_id"]
    assert tasks_of(api, bundle_id)["vip_call"]["status"] == "skipped"

    # When the sweep runs six days before the anchor
    report = run_sweep(datetime(2030, 6, 24, 0, 5, tzinfo=UTC))

    # Then the condition is met and the task is back, with a system audit event
    assert report.condition_checks == [bundle_id]
    vip_call = tasks_of(api, bundle_id)["vip_call"]
    assert (vip_call["status"], vip_call["condition"], vip_call["skip_reason"]) == ("todo", "met", None)
    assert report.condition_changes == [vip_call["task_id"]]
    # ... and the bundle is not looked at again the same day (its index entry moved to tomorrow)
    assert run_sweep(datetime(2030, 6, 24, 18, 0, tzinfo=UTC)).condition_checks == []
    assert run_sweep(datetime(2030, 6, 25, 0, 5, tzinfo=UTC)).condition_checks == [bundle_id]


def test_a_tag_change_reevaluates_conditions_reading_bundle_tags(content: Path, member: Caller) -> None:
    api = ApiClient(member)
    bundle_id = create(api)["bundle"]["bundle_id"]
    assert tasks_of(api, bundle_id)["vip_call"]["status"] == "skipped"

    response = api.patch(f"/bundles/{bundle_id}", {"tags": ["vip"]})

    assert response.status == 200, response.body
    vip_call = tasks_of(api, bundle_id)["vip_call"]
    assert (vip_call["status"], vip_call["condition"]) == ("todo", "met")
    events = api.get(f"/bundles/{bundle_id}/events").body["items"]
    assert [e["actor"] for e in events if e["action"] == "condition_evaluated"] == ["system"]
    api.patch(f"/bundles/{bundle_id}", {"tags": []})
    assert tasks_of(api, bundle_id)["vip_call"]["status"] == "skipped"


def test_a_tag_change_that_completes_the_bundle_records_when(content: Path, member: Caller) -> None:
    # Given a VIP deal whose only open task is the VIP call
    api = ApiClient(member)
    response = api.post(
        "/bundles",
        {"template_id": "review-flow", "title": "Deal", "anchor_date": "2030-06-30",
         "inputs": {"client": "Acme"}, "tags": ["vip"]},
    )  # fmt: skip
    bundle_id = response.body["bundle"]["bundle_id"]
    while open_tasks := [
        t
        for k, t in tasks_of(api, bundle_id).items()
        if k != "vip_call" and t["status"] not in {"done", "skipped"}
    ]:
        skipped = api.post(f"/tasks/{open_tasks[0]['task_id']}/actions", {"action": "skip", "reason": "no"})
        assert skipped.status == 200, skipped.body
    bundle = api.get(f"/bundles/{bundle_id}").body["bundle"]
    assert bundle["status"] == "active" and bundle.get("completed_at") is None

    # When the tag goes, the VIP call's condition is no longer met
    done = api.patch(f"/bundles/{bundle_id}", {"tags": []}).body["bundle"]

    # Then the bundle completes, with the time it did
    assert done["status"] == "completed" and done["completed_at"] == done["updated_at"]
    assert api.get(f"/bundles/{bundle_id}").body["bundle"]["completed_at"] == done["completed_at"]
    retitled = api.patch(f"/bundles/{bundle_id}", {"title": "Deal, closed"}).body["bundle"]
    assert retitled["completed_at"] == done["completed_at"]
