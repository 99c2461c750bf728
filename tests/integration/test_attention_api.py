"""GET /attention through the real handler on moto: ranking and reasons, escalations, snoozes, the
tenant scope for admins, and reads bounded by the caller's own work."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.integration.test_tasks_api import tasks_by_ref
from tests.support.api import ApiClient, Caller
from tests.support.aws import count_requests
from workengine.domain.enums import Role

LEA = Caller("acme", "lea", Role.MEMBER)
ZOE = Caller("acme", "zoe", Role.MEMBER)


def start(api: ApiClient, anchor: date, owner: str = "mia", caller: Caller | None = None) -> dict[str, Any]:
    response = api.post(
        "/bundles",
        {
            "template_id": "approval-flow",
            "title": f"Contract for {owner}",
            "anchor_date": anchor.isoformat(),
            "assignees": {"owner": owner, "lead": "lea"},
        },
        caller=caller,
    )
    assert response.status == 201, response.body
    return tasks_by_ref(response.body)


def attention(api: ApiClient, caller: Caller | None = None, **query: str) -> list[dict[str, Any]]:
    response = api.get("/attention", query=query, caller=caller)
    assert response.status == 200, response.body
    return list(response.body["items"])


def test_overdue_blocking_work_ranks_first_with_its_reasons(api: ApiClient) -> None:
    today = datetime.now(UTC).date()
    late = start(api, today - timedelta(days=5))  # draft due 15 days ago, sign-off waits for it
    calm = start(api, today + timedelta(days=60))

    items = attention(api)

    first = items[0]
    assert first["task_id"] == late["draft"]["task_id"]
    assert first["factors"] == {"overdue": 150, "blocks": 8, "missing_evidence": 15, "stage_behind": 20}
    assert first["score"] == 193
    assert first["reasons"][0] == f"overdue by 15 days (due {(today - timedelta(days=15)).isoformat()})"
    assert first["reasons"][1] == "blocks 1 task: 'Sign the contract off'"
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    mine = {late[k]["task_id"] for k in ("draft", "sign_off", "board_vote")}
    mine |= {calm[k]["task_id"] for k in ("draft", "sign_off", "board_vote")}
    assert {i["task_id"] for i in items} == mine  # lead_check is lea's
    assert items[-1]["score"] == 0 and items[-1]["reasons"] == []


def test_escalations_reach_the_target_and_snoozed_or_done_work_leaves(api: ApiClient) -> None:
    today = datetime.now(UTC).date()
    tasks = start(api, today + timedelta(days=30))
    sign_off, board_vote, draft = tasks["sign_off"], tasks["board_vote"], tasks["draft"]
    api.post(f"/tasks/{sign_off['task_id']}/actions", {"action": "escalate", "to": "lead", "reason": "stuck"})
    until = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    api.post(f"/tasks/{board_vote['task_id']}/actions", {"action": "snooze", "until": until})
    api.patch(f"/tasks/{draft['task_id']}", {"status": "done", "proof": {"url": "https://example.com/d"}})

    for_lea = {i["task_id"]: i for i in attention(api, LEA)}
    for_mia = {i["task_id"] for i in attention(api)}

    assert for_lea[sign_off["task_id"]]["factors"] == {"escalated": 40}
    assert for_lea[sign_off["task_id"]]["reasons"] == [
        f"escalated to you by mia on {today.isoformat()}: stuck"
    ]
    assert tasks["lead_check"]["task_id"] in for_lea
    assert for_mia == {sign_off["task_id"]}


def test_tenant_scope_is_for_admins_and_covers_everyone(
    api: ApiClient, admin: Caller, outsider: Caller
) -> None:
    today = datetime.now(UTC).date()
    start(api, today + timedelta(days=30))
    start(api, today + timedelta(days=30), owner="zoe", caller=ZOE)
    start(api, today + timedelta(days=30), caller=outsider)

    refused = api.get("/attention", query={"scope": "tenant"})
    unknown = api.get("/attention", query={"scope": "galaxy"}, caller=admin)
    everyone = attention(api, admin, scope="tenant")
    capped = attention(api, admin, scope="tenant", limit="3")

    assert refused.status == 403 and refused.error_code == "FORBIDDEN"
    assert unknown.status == 422 and unknown.error_code == "VALIDATION_ERROR"
    assert {i["assignee"] for i in everyone} == {"mia", "zoe", "lea"}
    assert len(everyone) == 8 and len(capped) == 3
    assert attention(api, outsider, scope="tenant") and all(
        i["bundle_title"] == "Contract for mia" for i in attention(api, outsider, scope="tenant")
    )


def test_reads_are_bounded_by_the_callers_own_work(api: ApiClient) -> None:
    today = datetime.now(UTC).date()
    start(api, today + timedelta(days=30))
    with count_requests() as before:
        attention(api)
    for _ in range(5):
        start(api, today + timedelta(days=30), owner="zoe", caller=ZOE)

    with count_requests() as after:
        attention(api)

    # three open statuses on the assignee index, the escalation partition, one bundle
    assert before.calls == after.calls
    assert after.count("dynamodb") == after.count("dynamodb", "Query") == 5
