"""Cancelled and archived bundles are read-only: writes to them, their tasks, comments, artifacts and
jobs answer 409 BUNDLE_CLOSED and write nothing; an admin's status change is the one way back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_bundles_api import create, table_items
from tests.support.api import ApiClient, ApiResponse, Caller


def _close(api: ApiClient, admin: Caller, status: str) -> dict[str, Any]:
    created = create(api)
    bundle_id = created["bundle"]["bundle_id"]
    if status == "archived":
        assert api.patch(f"/bundles/{bundle_id}", {"status": "cancelled"}, caller=admin).status == 200
    closed = api.patch(f"/bundles/{bundle_id}", {"status": status}, caller=admin)
    assert closed.status == 200, closed.body
    return created


def _writes(api: ApiClient, created: dict[str, Any], caller: Caller) -> list[ApiResponse]:
    bundle_id = created["bundle"]["bundle_id"]
    task_id = created["tasks"][0]["task_id"]
    return [
        api.patch(f"/bundles/{bundle_id}", {"title": "renamed"}, caller=caller),
        api.patch(f"/bundles/{bundle_id}", {"stage": "plan"}, caller=caller),
        api.patch(f"/bundles/{bundle_id}", {"tags": ["x"]}, caller=caller),
        api.patch(f"/bundles/{bundle_id}", {"references": {"brief": "https://e.com"}}, caller=caller),
        api.patch(f"/tasks/{task_id}", {"status": "in_progress"}, caller=caller),
        api.post(f"/tasks/{task_id}/comments", {"text": "still here?"}, caller=caller),
        api.post(
            f"/bundles/{bundle_id}/artifacts",
            {"filename": "a.pdf", "content_type": "application/pdf", "size_bytes": 10},
            caller=caller,
        ),
        api.post(
            "/assistant-jobs",
            {"bundle_id": bundle_id, "kind": "summarize_bundle", "input": {"prompt": "Sum up."}},
            caller=caller,
        ),
    ]


@pytest.mark.parametrize("status", ["cancelled", "archived"])
@pytest.mark.parametrize("who", ["member", "admin"])
def test_writes_to_a_closed_bundle_answer_bundle_closed(
    api: ApiClient, admin: Caller, member: Caller, status: str, who: str
) -> None:
    created = _close(api, admin, status)
    before = table_items()

    responses = _writes(api, created, admin if who == "admin" else member)

    for response in responses:
        assert response.status == 409, response.body
        assert response.body["error"]["code"] == "BUNDLE_CLOSED"
        assert response.body["error"]["details"]["bundle_status"] == status
    assert table_items() == before


def test_a_member_cannot_reopen_and_an_admin_can(api: ApiClient, admin: Caller) -> None:
    created = _close(api, admin, "cancelled")
    bundle_id = created["bundle"]["bundle_id"]
    before = table_items()

    by_member = api.patch(f"/bundles/{bundle_id}", {"status": "active"})
    same_status = api.patch(f"/bundles/{bundle_id}", {"status": "cancelled"})
    assert by_member.status == 403 and same_status.status == 403
    assert table_items() == before

    reopened = api.patch(f"/bundles/{bundle_id}", {"status": "active"}, caller=admin)
    assert reopened.status == 200 and reopened.body["bundle"]["status"] == "active"
    renamed = api.patch(f"/bundles/{bundle_id}", {"title": "back at it"})
    assert renamed.status == 200


def test_an_admin_reopens_an_archived_bundle_and_only_to_active(api: ApiClient, admin: Caller) -> None:
    created = _close(api, admin, "archived")
    bundle_id = created["bundle"]["bundle_id"]
    before = table_items()

    by_member = api.patch(f"/bundles/{bundle_id}", {"status": "active"})
    to_cancelled = api.patch(f"/bundles/{bundle_id}", {"status": "cancelled"}, caller=admin)
    assert by_member.status == 403
    assert (to_cancelled.status, to_cancelled.error_code) == (422, "INVALID_TRANSITION")
    assert table_items() == before

    reopened = api.patch(f"/bundles/{bundle_id}", {"status": "active"}, caller=admin)
    assert reopened.status == 200 and reopened.body["bundle"]["status"] == "active"
    task_id = created["tasks"][0]["task_id"]
    assert api.patch(f"/tasks/{task_id}", {"status": "in_progress"}).status == 200
    events = api.get(f"/bundles/{bundle_id}/events").body["items"]
    assert [e["after"].get("status") for e in events if e["entity_type"] == "bundle"][-1] == "active"


def test_reopening_a_bundle_whose_tasks_are_all_finished_completes_it(api: ApiClient, admin: Caller) -> None:
    created = create(api)
    bundle_id = created["bundle"]["bundle_id"]
    for task in created["tasks"]:
        skipped = api.patch(f"/tasks/{task['task_id']}", {"status": "skipped", "skip_reason": "moot"})
        assert skipped.status == 200, skipped.body
    finished = api.get(f"/bundles/{bundle_id}").body["bundle"]
    assert finished["status"] == "completed" and finished["completed_at"]
    assert api.patch(f"/bundles/{bundle_id}", {"status": "archived"}, caller=admin).status == 200

    reopened = api.patch(f"/bundles/{bundle_id}", {"status": "active"}, caller=admin).body["bundle"]

    assert reopened["status"] == "completed" and reopened["completed_at"] == finished["completed_at"]
