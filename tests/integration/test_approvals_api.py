"""Approvals through the real handler on moto: decisions, every error code, rework and reminders."""

from __future__ import annotations

from typing import Any

from tests.integration.test_tasks_api import complete, tasks_by_ref
from tests.support.api import ApiClient, Caller
from workengine.domain.enums import Role

ANN, BOB, CAT = (Caller("acme", name, Role.MEMBER) for name in ("ann", "bob", "cat"))
LEA = Caller("acme", "lea", Role.MEMBER)
FLOW = {
    "template_id": "approval-flow",
    "title": "Supplier contract",
    "anchor_date": "2026-12-20",
    "assignees": {"owner": "mia", "lead": "lea"},
}


def start(api: ApiClient) -> dict[str, dict[str, Any]]:
    response = api.post("/bundles", FLOW)
    assert response.status == 201, response.body
    return tasks_by_ref(response.body)


def decide(api: ApiClient, task: dict[str, Any], who: Caller, decision: str = "approve", **body: Any) -> Any:
    return api.post(f"/tasks/{task['task_id']}/approvals", {"decision": decision, **body}, caller=who)


def reminders(api: ApiClient, kind: str) -> list[dict[str, Any]]:
    response = api.get("/reminders", query={"kind": kind, "limit": "100"})
    assert response.status == 200, response.body
    return list(response.body["items"])


def test_approval_tasks_require_approval_proof_and_list_their_decisions(api: ApiClient) -> None:
    tasks = start(api)

    sign_off = tasks["sign_off"]

    assert sign_off["proof_required"] == ["approval"] and sign_off["approvals"] == []
    assert sign_off["approval"]["approvers"] == ["user:ann", "user:bob", "user:cat", "lead"]
    assert sign_off["approval"]["on_reject"] == tasks["draft"]["task_id"]


def test_an_actionable_approval_asks_every_approver_in_the_same_change(api: ApiClient) -> None:
    tasks = start(api)
    # lead_check has no dependencies: its approver is asked when the bundle is created.
    at_creation = reminders(api, "approval_requested")
    assert [r["recipient"] for r in at_creation if r["task_id"] == tasks["lead_check"]["task_id"]] == ["lea"]
    assert not [r for r in at_creation if r["task_id"] == tasks["sign_off"]["task_id"]]

    assert complete(api, tasks["draft"], {"url": "https://docs.example.com/draft"}).status == 200

    asked = [r for r in reminders(api, "approval_requested") if r["task_id"] == tasks["sign_off"]["task_id"]]
    assert sorted(r["recipient"] for r in asked) == ["ann", "bob", "cat", "lea"]


def test_decisions_complete_the_task_once_required_approvals_are_in(api: ApiClient) -> None:
    tasks = start(api)
    complete(api, tasks["draft"], {"url": "https://docs.example.com/draft"})

    first = decide(api, tasks["sign_off"], ANN, comment="fine")
    second = decide(api, tasks["sign_off"], CAT)

    assert first.status == 201 and first.body["task"]["status"] == "todo"
    assert first.body["approval"]["approver"] == "ann" and first.body["approval"]["decision"] == "approve"
    assert first.body["approval"]["tenant_id"] == "acme"
    task = second.body["task"]
    assert task["status"] == "done" and task["completed_by"] == "cat"
    assert [a["approver"] for a in task["approvals"]] == ["ann", "cat"]
    events = api.get(f"/bundles/{task['bundle_id']}/events").body["items"]
    assert [e["action"] for e in events if e["entity_id"] == task["task_id"]] == ["approved", "approved"]


def test_every_refusal_has_its_code_and_writes_nothing(api: ApiClient, viewer: Caller) -> None:
    tasks = start(api)
    gate = tasks["sign_off"]

    early = decide(api, gate, ANN)
    complete(api, tasks["draft"], {"url": "https://docs.example.com/draft"})
    stranger = decide(api, gate, Caller("acme", "zed", Role.MEMBER))
    reader = decide(api, gate, Caller("acme", "ann", Role.VIEWER))
    no_comment = decide(api, gate, BOB, "reject")
    decide(api, gate, ANN)
    twice = decide(api, gate, ANN, "reject", comment="second thoughts")
    api.patch(f"/tasks/{gate['task_id']}", {"assignee": "bob"})
    own = decide(api, gate, BOB)
    assignee_done = complete(api, gate)
    elsewhere = decide(api, gate, Caller("globex", "ann", Role.MEMBER))

    assert (early.status, early.error_code) == (422, "INVALID_TRANSITION")
    assert (stranger.status, stranger.error_code) == (403, "NOT_AN_APPROVER")
    assert (reader.status, reader.error_code) == (403, "FORBIDDEN")
    assert (no_comment.status, no_comment.error_code) == (422, "VALIDATION_ERROR")
    assert (twice.status, twice.error_code) == (409, "ALREADY_DECIDED")
    assert (own.status, own.error_code) == (403, "SELF_APPROVAL")
    assert (assignee_done.status, assignee_done.error_code) == (422, "MISSING_PROOF")
    assert assignee_done.body["error"]["details"]["missing"] == ["approval"]
    assert elsewhere.status == 404
    stored = api.get(f"/tasks/{gate['task_id']}").body["task"]
    assert [a["approver"] for a in stored["approvals"]] == ["ann"] and stored["status"] == "todo"


def test_a_rejection_sends_the_work_back_and_a_new_round_begins(api: ApiClient) -> None:
    tasks = start(api)
    draft, gate = tasks["draft"], tasks["sign_off"]
    complete(api, draft, {"url": "https://docs.example.com/draft"})
    decide(api, gate, ANN)

    rejected = decide(api, gate, BOB, "reject", comment="clause 4 is missing")

    assert rejected.status == 201 and rejected.body["task"]["approval_round"] == 2
    reopened = api.get(f"/tasks/{draft['task_id']}").body["task"]
    assert reopened["status"] == "todo" and reopened["completed_at"] is None
    rework = reminders(api, "rework")
    assert [(r["recipient"], r["task_id"]) for r in rework] == [("mia", draft["task_id"])]
    assert decide(api, gate, ANN).error_code == "INVALID_TRANSITION"  # waits for the rework

    complete(api, draft)  # proof is still there from the first round
    asked = [r for r in reminders(api, "approval_requested") if r["details"].get("round") == 2]
    assert sorted(r["recipient"] for r in asked) == ["ann", "bob", "cat", "lea"]
    assert decide(api, gate, BOB).status == 201
    done = decide(api, gate, ANN).body["task"]
    assert done["status"] == "done" and done["completed_by"] == "ann"


def test_unknown_decisions_and_tasks_answer_contract_errors(api: ApiClient) -> None:
    tasks = start(api)

    bad = api.post(f"/tasks/{tasks['sign_off']['task_id']}/approvals", {"decision": "maybe"}, caller=ANN)
    missing = api.post("/tasks/t_nope/approvals", {"decision": "approve"}, caller=ANN)

    assert (bad.status, bad.error_code) == (422, "VALIDATION_ERROR")
    assert (missing.status, missing.error_code) == (404, "NOT_FOUND")
