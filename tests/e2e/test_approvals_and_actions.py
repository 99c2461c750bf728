"""Approvals and task actions over real HTTP against `workengine serve`: the quarterly tax report's
reviewer sign-off, sent back once for rework, and snooze/escalate as the people involved would use them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.test_local_server import E2E_SECRET, Http, local_stack, server, wait_for
from workengine_tools.local.tokens import issue_token

__all__ = ["local_stack", "server"]
UPSTREAM = [
    "export_ledger",
    "reconcile_bank",
    "chase_receipts",
    "vat_calculation",
    "estimated_tax",
    "variance_analysis",
]


def person(base: str, user: str) -> Http:
    return Http(base, issue_token(E2E_SECRET, tenant_id="ledger", user_id=user, role="member"))


def test_reviewer_approval_with_rework_and_task_actions_over_http(server: str) -> None:
    fay, ann, rita = person(server, "fay"), person(server, "ann"), person(server, "rita")
    status, created = fay.call(
        "POST",
        "/bundles",
        {
            "template_id": "quarterly-tax-report",
            "title": "Q4 tax report",
            "anchor_date": (datetime.now(UTC) + timedelta(days=40)).date().isoformat(),
            "assignees": {"finance-lead": "fay", "accountant": "ann", "bookkeeper": "bo", "reviewer": "rita"},
        },
    )
    assert status == 201, created
    tasks = {t["template_task_ref"]: t for t in created["tasks"]}
    gate, questions = tasks["controller_approval"], tasks["reviewer_questions"]
    assert "approval" in gate["proof_required"]

    # The books were closed elsewhere this quarter: the upstream work is skipped with a reason.
    for key in UPSTREAM:
        status, body = fay.call(
            "POST",
            f"/tasks/{tasks[key]['task_id']}/actions",
            {"action": "skip", "reason": "closed in the ERP"},
        )
        assert status == 200 and body["task"]["status"] == "skipped", body
    status, body = ann.call(
        "PATCH",
        f"/tasks/{questions['task_id']}",
        {"status": "done", "proof": {"url": "https://docs.example.com/pack"}},
    )
    assert status == 200, body

    # The reviewer was asked by that change, and the sweep loop publishes the request.
    def published_request() -> Any:
        _, listed = rita.call("GET", "/reminders?recipient=me&kind=approval_requested")
        return [r for r in listed["items"] if r["task_id"] == gate["task_id"] and r["status"] == "published"]

    assert wait_for(published_request, timeout=120)

    # Only the reviewer decides; she sends the pack back once.
    status, body = fay.call("POST", f"/tasks/{gate['task_id']}/approvals", {"decision": "approve"})
    assert (status, body["error"]["code"]) == (403, "NOT_AN_APPROVER")
    status, body = rita.call(
        "POST",
        f"/tasks/{gate['task_id']}/approvals",
        {"decision": "reject", "comment": "explain the VAT drop"},
    )
    assert status == 201 and body["approval"]["decision"] == "reject"
    _, rework = ann.call("GET", "/reminders?recipient=me&kind=rework")
    assert [r["task_id"] for r in rework["items"]] == [questions["task_id"]]

    # The accountant redoes the pack; the reviewer approves; the lead completes with the amounts.
    status, _ = ann.call("PATCH", f"/tasks/{questions['task_id']}", {"status": "done"})
    assert status == 200
    status, body = rita.call(
        "POST", f"/tasks/{gate['task_id']}/approvals", {"decision": "approve", "comment": "ok"}
    )
    assert status == 201 and body["task"]["status"] == "todo"  # its comment proof is still missing
    status, body = fay.call(
        "PATCH", f"/tasks/{gate['task_id']}", {"status": "done", "comment": "VAT 12,400; instalment 3,100"}
    )
    assert status == 200 and body["task"]["status"] == "done", body

    # Filing waits for the portal: the accountant snoozes it, the lead escalates it to the reviewer.
    filing = tasks["file_return"]["task_id"]
    until = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    status, _ = ann.call(
        "POST", f"/tasks/{filing}/actions", {"action": "snooze", "until": until, "reason": "portal down"}
    )
    assert status == 200
    _, mine = ann.call("GET", "/tasks?assignee=me&limit=100")
    _, all_mine = ann.call("GET", "/tasks?assignee=me&limit=100&include_snoozed=true")
    assert filing not in {t["task_id"] for t in mine["items"]}
    assert filing in {t["task_id"] for t in all_mine["items"]}
    status, _ = fay.call(
        "POST",
        f"/tasks/{filing}/actions",
        {"action": "escalate", "to": "reviewer", "reason": "deadline in 3 days"},
    )
    assert status == 200
    _, escalated = rita.call("GET", "/tasks?escalated_to=me&include_snoozed=true")
    assert [t["task_id"] for t in escalated["items"]] == [filing]
