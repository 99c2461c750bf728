"""Template statistics kept from the change stream: a bundle's whole life is counted, replayed and
reordered records are counted once, other tenants see nothing, and nothing scans."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import FIXTURE_CONTENT
from tests.integration.test_bundles_api import create
from tests.integration.test_tasks_api import complete, tasks_by_ref
from tests.support.api import ApiClient, Caller
from tests.support.aws import count_requests
from tests.support.streams import StreamRecorder, deliver
from workengine.handlers.api import dependencies as deps

PROOFS: dict[str, dict[str, Any]] = {
    "draft": {"url": "https://docs.example.com/plan"},
    "review": {"comment": "fine"},
    "verify": {"external_status": "green"},
}


def finish(api: ApiClient, created: dict[str, Any]) -> None:
    tasks = tasks_by_ref(created)
    for key in ("draft", "review", "build", "verify", "release"):
        response = complete(api, tasks[key], PROOFS.get(key))
        assert response.status == 200, response.body


def stats(api: ApiClient, caller: Caller | None = None, **query: str) -> dict[str, Any]:
    response = api.get("/templates/test-flow/stats", query=query or None, caller=caller)
    assert response.status == 200, response.body
    return dict(response.body)


@pytest.fixture
def stream(aws_env: None) -> StreamRecorder:
    return StreamRecorder()


def life(api: ApiClient, admin: Caller) -> None:
    """Three runs: one completed, one cancelled, one active with its draft done."""
    finish(api, create(api))
    cancelled = create(api)
    path = f"/bundles/{cancelled['bundle']['bundle_id']}"
    assert api.patch(path, {"status": "cancelled"}, caller=admin).status == 200
    active = tasks_by_ref(create(api))
    assert complete(api, active["draft"], PROOFS["draft"]).status == 200


def test_a_bundles_life_is_counted_in_runs_cycle_times_and_tasks(
    api: ApiClient, admin: Caller, stream: StreamRecorder
) -> None:
    # Given three runs of the template
    life(api, admin)
    # When the stream's records reach the aggregator
    assert deliver(stream.new_records()) == []
    # Then
    body = stats(api)
    assert body["runs"] == {"started": 3, "active": 1, "completed": 1, "cancelled": 1}
    assert body["cycle_time_days"] == {"p50": 0.02, "p90": 0.02}  # under an hour: bucket 0 (30 min)
    by_key = {task["key"]: task for task in body["tasks"]}
    assert [task["key"] for task in body["tasks"]] == ["draft", "review", "build", "verify", "release"]
    assert by_key["draft"]["completed"] == 2 and by_key["release"]["completed"] == 1
    assert by_key["draft"]["overdue_rate"] == 0.0  # the fixture's due dates lie ahead
    assert by_key["draft"]["median_days_to_complete"] == 0.02
    assert body["bottleneck"] == "draft"  # all medians equal: the earliest key on the critical path


def test_replayed_and_reordered_records_are_counted_once(
    api: ApiClient, admin: Caller, stream: StreamRecorder
) -> None:
    # Given the records of three runs, delivered once
    life(api, admin)
    records = stream.new_records()
    assert deliver(records) == []
    once = stats(api)
    # When the same batches come again, then again in small shuffled batches
    assert deliver(records) == []
    shuffled = list(records)
    random.Random(7).shuffle(shuffled)
    assert deliver(shuffled, batch_size=7) == []
    # Then nothing moved
    assert stats(api) == once


def test_reordered_records_give_the_same_totals_as_ordered_ones(
    api: ApiClient, admin: Caller, stream: StreamRecorder
) -> None:
    # Given the records of three runs, delivered newest first (each change still counted once)
    life(api, admin)
    assert deliver(list(reversed(stream.new_records()))) == []
    # Then the totals are those of the ordered delivery
    assert stats(api)["runs"] == {"started": 3, "active": 1, "completed": 1, "cancelled": 1}


def test_a_reopened_bundle_and_version_filter(api: ApiClient, admin: Caller, stream: StreamRecorder) -> None:
    # Given a cancelled bundle an admin made active again
    created = create(api)
    path = f"/bundles/{created['bundle']['bundle_id']}"
    assert api.patch(path, {"status": "cancelled"}, caller=admin).status == 200
    assert api.patch(path, {"status": "active"}, caller=admin).status == 200
    deliver(stream.new_records())
    version = created["bundle"]["template_version"]
    # Then it counts as active, for its version and for all versions; another version has nothing
    assert stats(api)["runs"] == {"started": 1, "active": 1, "completed": 0, "cancelled": 0}
    assert stats(api, template_version=version)["runs"]["active"] == 1
    other = stats(api, template_version="1+000000000000")
    assert other["runs"]["started"] == 0 and other["bottleneck"] is None
    assert other["cycle_time_days"] == {"p50": None, "p90": None}


def test_other_tenants_see_none_of_it_and_reading_is_one_request(
    api: ApiClient, admin: Caller, outsider: Caller, stream: StreamRecorder
) -> None:
    life(api, admin)
    deliver(stream.new_records())
    assert stats(api, caller=outsider)["runs"]["started"] == 0
    with count_requests() as counter:
        stats(api)
    assert counter.count("dynamodb") == 1 and counter.count("dynamodb", "Scan") == 0


def test_unknown_template_and_bad_version(api: ApiClient) -> None:
    assert api.get("/templates/no-such/stats").error_code == "TEMPLATE_NOT_FOUND"
    bad = api.get("/templates/test-flow/stats", query={"template_version": "a b"})
    assert bad.status == 422


def test_a_change_that_moves_no_counter_writes_nothing(api: ApiClient, stream: StreamRecorder) -> None:
    create(api)
    deliver(stream.new_records())
    bundle_records = len(stream.records)
    tasks = tasks_by_ref(create(api))
    api.post(f"/tasks/{tasks['draft']['task_id']}/comments", {"text": "hello"})
    with count_requests() as counter:
        deliver(stream.new_records())
    # only the new bundle's creation is counted (one transaction): task creations and comments are not
    assert counter.count("dynamodb", "TransactWriteItems") == 1, (counter.calls, bundle_records)


# ---- drift ---------------------------------------------------------------------------------------------
def next_version(source: Path, target: Path) -> None:
    """The fixture content with test-flow changed: ``verify`` removed, ``qa`` added, ``build`` retitled
    (and ``release``, which depended on ``verify``, changed with it)."""
    shutil.copytree(source, target)
    path = target / "templates" / "test-flow.yaml"
    text = path.read_text()
    text = text.replace("version: 2", "version: 3").replace("title: Build it", "title: Build it well")
    start, end = text.index("  - key: verify"), text.index("  - key: release")
    text = text[:start] + "  - key: qa\n    title: QA\n    phase: build\n" + text[end:]
    path.write_text(text.replace("depends_on: [build, verify]", "depends_on: [build]"))


def test_drift_groups_active_bundles_by_version_and_names_the_task_changes(
    api: ApiClient, admin: Caller, outsider: Caller, stream: StreamRecorder, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # Given two active bundles on version 2, one cancelled, then the template changes and one more starts
    old = create(api)["bundle"]["template_version"]
    create(api)
    cancelled = create(api)["bundle"]["bundle_id"]
    assert api.patch(f"/bundles/{cancelled}", {"status": "cancelled"}, caller=admin).status == 200
    next_version(FIXTURE_CONTENT, tmp_path / "content")
    monkeypatch.setenv("WORKENGINE_CONTENT_PATH", str(tmp_path / "content"))
    deps.reset()
    new = create(api)["bundle"]["template_version"]
    assert new != old and new.startswith("3+")
    deliver(stream.new_records())
    # When
    deps.reset()  # a cold container: the old definition is read from its pin
    with count_requests() as counter:
        response = api.get("/templates/test-flow/drift")
    # Then
    assert response.status == 200, response.body
    assert response.body == {
        "current_version": new,
        "versions": [
            {"template_version": new, "active_bundles": 1, "added_tasks": [], "removed_tasks": [],
             "changed_tasks": []},
            {"template_version": old, "active_bundles": 2, "added_tasks": ["qa"], "removed_tasks": ["verify"],
             "changed_tasks": ["build", "release"]},
        ],
    }  # fmt: skip
    # one Query of the counters, one GetItem of the old version's pinned definition
    assert counter.calls == {"dynamodb.Query": 1, "dynamodb.GetItem": 1}, counter.calls
    # another tenant has no active bundle of it
    foreign = api.get("/templates/test-flow/drift", caller=outsider).body
    assert foreign["versions"] == [{"template_version": new, "active_bundles": 0, "added_tasks": [],
                                    "removed_tasks": [], "changed_tasks": []}]  # fmt: skip
    assert api.get("/templates/no-such/drift").error_code == "TEMPLATE_NOT_FOUND"
