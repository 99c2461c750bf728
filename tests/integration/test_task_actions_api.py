"""Task actions through the real handler on moto: snooze, escalate, reassign, skip; their errors,
audit events, reminders and the task lists they change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.test_approvals_api import reminders, start
from tests.support.api import ApiClient, Caller
from tests.support.aws import count_requests
from workengine.domain.enums import Role

LEA = Caller("acme", "lea", Role.MEMBER)


def act(api: ApiClient, task: dict[str, Any], caller: Caller | None = None, **body: Any) -> Any:
    return api.post(f"/tasks/{task['task_id']}/actions", body, caller=caller)


def later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def my_task_ids(api: ApiClient, **query: str) -> set[str]:
    response = api.get("/tasks", query={"limit": "100", **query})
    assert response.status == 200, response.body
    return {t["task_id"] for t in response.body["items"]}


def test_a_snoozed_task_leaves_my_list_until_asked_for(api: ApiClient) -> None:
    draft = start(api)["draft"]

    snoozed = act(api, draft, action="snooze", until=later(days=3), reason="waiting for legal")

    assert snoozed.status == 200 and snoozed.body["task"]["snoozed_until"]
    assert draft["task_id"] not in my_task_ids(api)
    assert draft["task_id"] in my_task_ids(api, include_snoozed="true")
    events = api.get(f"/bundles/{draft['bundle_id']}/events").body["items"]
    assert [e["action"] for e in events if e["entity_id"] == draft["task_id"]] == ["snoozed"]


def test_snooze_limits_answer_validation_errors(api: ApiClient) -> None:
    draft = start(api)["draft"]

    past = act(api, draft, action="snooze", until=later(minutes=-1))
    far = act(api, draft, action="snooze", until=later(days=91))
    naive = act(api, draft, action="snooze", until="2030-01-01T00:00:00")

    assert [r.error_code for r in (past, far, naive)] == ["VALIDATION_ERROR"] * 3
    assert api.get(f"/tasks/{draft['task_id']}").body["task"]["version"] == draft["version"]


def test_escalation_is_recorded_reminded_and_listed_for_the_target(api: ApiClient) -> None:
    tasks = start(api)
    draft = tasks["draft"]

    escalated = act(api, draft, action="escalate", to="lead", reason="no progress in a week")

    history = escalated.body["task"]["escalations"]
    assert [(e["to"], e["by"], e["reason"]) for e in history] == [("lea", "mia", "no progress in a week")]
    assert [(r["recipient"], r["task_id"]) for r in reminders(api, "escalation")] == [
        ("lea", draft["task_id"])
    ]
    with count_requests() as counter:
        listed = api.get("/tasks", query={"escalated_to": "me"}, caller=LEA)
    assert [t["task_id"] for t in listed.body["items"]] == [draft["task_id"]]
    assert counter.count("dynamodb") == 1 and counter.count("dynamodb", "Query") == 1
    assert my_task_ids(api, escalated_to="me") == set()


def test_an_escalated_task_leaves_the_list_once_closed(api: ApiClient) -> None:
    draft = start(api)["draft"]
    act(api, draft, action="escalate", to="user:lea", reason="stuck")

    api.patch(f"/tasks/{draft['task_id']}", {"status": "done", "proof": {"url": "https://example.com/d"}})

    assert api.get("/tasks", query={"escalated_to": "me"}, caller=LEA).body["items"] == []


def test_reassign_moves_the_task_between_my_lists(api: ApiClient) -> None:
    draft = start(api)["draft"]

    moved = act(api, draft, action="reassign", to="lead")

    assert moved.body["task"]["assignee"] == "lea"
    assert draft["task_id"] in my_task_ids(api, assignee="lea")
    assert draft["task_id"] not in my_task_ids(api)


def test_skip_with_a_reason_unblocks_dependents(api: ApiClient) -> None:
    tasks = start(api)

    skipped = act(api, tasks["draft"], action="skip", reason="template contract, nothing to draft")

    task = skipped.body["task"]
    assert task["status"] == "skipped" and task["skip_reason"] == "template contract, nothing to draft"
    asked = [r for r in reminders(api, "approval_requested") if r["task_id"] == tasks["sign_off"]["task_id"]]
    assert sorted(r["recipient"] for r in asked) == ["ann", "bob", "cat", "lea"]


def test_action_refusals(api: ApiClient, viewer: Caller, outsider: Caller) -> None:
    tasks = start(api)
    draft = tasks["draft"]

    cases = {
        "viewer": act(api, draft, viewer, action="skip", reason="no"),
        "no reason": act(api, draft, action="skip"),
        "blank reason": act(api, draft, action="escalate", to="lead", reason=" "),
        "unmapped role": act(api, draft, action="reassign", to="auditor"),
        "bad target": act(api, draft, action="reassign", to="Not A Role"),
        "unknown action": act(api, draft, action="delegate", to="lead"),
        "other tenant": act(api, draft, outsider, action="skip", reason="no"),
    }
    act(api, draft, action="skip", reason="not needed")
    closed = act(api, draft, action="snooze", until=later(days=1))

    assert {name: (r.status, r.error_code) for name, r in cases.items()} == {
        "viewer": (403, "FORBIDDEN"),
        "no reason": (422, "VALIDATION_ERROR"),
        "blank reason": (422, "VALIDATION_ERROR"),
        "unmapped role": (422, "VALIDATION_ERROR"),
        "bad target": (422, "VALIDATION_ERROR"),
        "unknown action": (422, "VALIDATION_ERROR"),
        "other tenant": (404, "NOT_FOUND"),
    }
    assert (closed.status, closed.error_code) == (422, "INVALID_TRANSITION")
    events = api.get(f"/bundles/{draft['bundle_id']}/events").body["items"]
    assert [e["action"] for e in events if e["entity_id"] == draft["task_id"]] == ["skipped"]
