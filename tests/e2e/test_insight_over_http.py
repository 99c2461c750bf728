"""Statistics and drift over real HTTP against `workengine serve`: the local server drains the table's
change stream into the aggregator, so work done through the API shows up in the template's figures."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from tests.e2e.test_local_server import E2E_SECRET, Http, local_stack, proof_for, server, wait_for
from workengine_tools.local.tokens import issue_token

__all__ = ["local_stack", "server"]
ROLES = {"host": "hana", "producer": "hana", "editor": "hana"}


def start(host: Http, title: str) -> dict[str, Any]:
    body = {"template_id": "podcast-episode", "title": title, "anchor_date": "2026-12-15",
            "inputs": {"guest_name": "Ada Lovelace"}, "assignees": ROLES}  # fmt: skip
    status, created = host.call("POST", "/bundles", body)
    assert status == 201, created
    return dict(created)


def work_through(host: Http, created: dict[str, Any]) -> None:
    remaining = {t["task_id"]: t for t in created["tasks"]}
    for _ in range(len(remaining) + 1):
        for task_id, task in list(remaining.items()):
            if "artifact" in task["proof_required"]:
                body: dict[str, Any] = {"status": "skipped", "skip_reason": "no recording this week"}
            else:
                body = {"status": "done", "proof": proof_for(task)}
            status, answer = host.call("PATCH", f"/tasks/{task_id}", body)
            if status == 200:
                del remaining[task_id]
            else:
                assert answer["error"]["code"] == "INVALID_TRANSITION", answer
    assert not remaining


def test_worked_bundles_show_in_the_templates_stats_and_drift(server: str) -> None:
    host = Http(server, issue_token(E2E_SECRET, tenant_id="insight", user_id="hana", role="member"))
    outsider = Http(server, issue_token(E2E_SECRET, tenant_id="elsewhere", user_id="eve", role="admin"))
    # Given one episode worked to completion and one still running
    finished = start(host, "Episode 1")
    work_through(host, finished)
    running = start(host, "Episode 2")
    version = running["bundle"]["template_version"]

    # When the stream has reached the aggregator, Then the figures show both runs
    def counted() -> dict[str, Any] | None:
        status, body = host.call("GET", "/templates/podcast-episode/stats")
        assert status == 200, body
        return body if body["runs"] == {"started": 2, "active": 1, "completed": 1, "cancelled": 0} else None

    stats = wait_for(counted)
    assert stats, host.call("GET", "/templates/podcast-episode/stats")
    done = [task for task in stats["tasks"] if task["completed"]]
    assert done and all(task["median_days_to_complete"] is not None for task in done)
    assert stats["cycle_time_days"]["p50"] is not None and stats["bottleneck"] in {t["key"] for t in done}
    # "+" in a query string means a space: the version is sent URL-encoded ("%2B")
    query = urlencode({"template_version": version})
    status, one_version = host.call("GET", f"/templates/podcast-episode/stats?{query}")
    assert status == 200 and one_version["runs"] == stats["runs"]

    status, drift = host.call("GET", "/templates/podcast-episode/drift")
    assert status == 200, drift
    assert drift["current_version"] == version
    assert drift["versions"] == [{"template_version": version, "active_bundles": 1, "added_tasks": [],
                                  "removed_tasks": [], "changed_tasks": []}]  # fmt: skip

    # another tenant sees none of it
    status, foreign = outsider.call("GET", "/templates/podcast-episode/stats")
    assert status == 200 and foreign["runs"]["started"] == 0
