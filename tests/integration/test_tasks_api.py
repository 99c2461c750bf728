"""Tasks through the real lambda_handler on moto: my tasks, transitions, proof, comments, audit."""

from __future__ import annotations

from typing import Any

from tests.integration.test_bundles_api import create, table_items
from tests.support.api import ApiClient, Caller
from tests.support.aws import count_requests


def tasks_by_ref(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["template_task_ref"]: t for t in body["tasks"]}


def complete(api: ApiClient, task: dict[str, Any], proof: dict[str, Any] | None = None, **extra: Any) -> Any:
    body: dict[str, Any] = {"status": "done", **extra}
    if proof is not None:
        body["proof"] = proof
    return api.patch(f"/tasks/{task['task_id']}", body)


def test_my_tasks_lists_the_callers_tasks_by_status_and_due_date(api: ApiClient) -> None:
    created = tasks_by_ref(create(api))
    create(api, assignees={"owner": "someone-else", "reviewer": "rex"})

    mine = api.get("/tasks", query={"assignee": "me"})
    todo_before = api.get("/tasks", query={"assignee": "me", "status": "todo", "due_before": "2026-12-05"})

    assert mine.status == 200
    assert {t["task_id"] for t in mine.body["items"]} == {
        created[ref]["task_id"] for ref in ("draft", "build", "release")
    }
    assert [t["task_id"] for t in todo_before.body["items"]] == [created["draft"]["task_id"]]


def test_my_tasks_is_one_dynamodb_request(api: ApiClient) -> None:
    create(api)

    with count_requests() as counter:
        response = api.get("/tasks", query={"assignee": "me", "status": "todo"})

    assert response.status == 200 and response.body["items"]
    assert counter.count("dynamodb") == 1
    assert counter.count("dynamodb", "Query") == 1


def test_my_tasks_paginates_with_an_opaque_token(api: ApiClient) -> None:
    for i in range(3):
        create(api, title=f"B{i}")

    seen: list[str] = []
    token = None
    while True:
        query = {"assignee": "me", "limit": "4"}
        if token:
            query["next_token"] = token
        page = api.get("/tasks", query=query)
        assert page.status == 200
        seen += [t["task_id"] for t in page.body["items"]]
        token = page.body["next_token"]
        if not token:
            break

    assert len(seen) == len(set(seen)) == 9


def test_done_without_required_proof_is_refused_and_nothing_is_written(api: ApiClient) -> None:
    draft = tasks_by_ref(create(api))["draft"]
    before = table_items()

    response = complete(api, draft)

    assert response.status == 422
    assert response.error_code == "MISSING_PROOF"
    assert response.body["error"]["details"]["missing"] == ["url"]
    assert table_items() == before
    task = api.get(f"/tasks/{draft['task_id']}").body["task"]
    assert task["status"] == "todo" and task["completed_at"] is None and task["completed_by"] is None


def test_done_with_proof_records_completion_and_one_audit_event(api: ApiClient) -> None:
    body = create(api)
    draft = tasks_by_ref(body)["draft"]

    response = complete(api, draft, {"url": "https://docs.example.com/plan"}, expected_version=1)

    assert response.status == 200
    task = response.body["task"]
    assert task["status"] == "done" and task["version"] == 2
    assert task["completed_by"] == "mia" and task["completed_at"]
    assert task["proof"]["url"] == "https://docs.example.com/plan"
    events = api.get(f"/bundles/{body['bundle']['bundle_id']}/events").body["items"]
    task_events = [e for e in events if e["entity_id"] == draft["task_id"]]
    assert len(task_events) == 1
    assert task_events[0]["entity_type"] == "task"
    assert task_events[0]["before"]["status"] == "todo"
    assert task_events[0]["after"]["status"] == "done"
    assert task_events[0]["actor"] == "mia"


def test_done_while_a_dependency_is_open_is_an_invalid_transition(api: ApiClient) -> None:
    review = tasks_by_ref(create(api))["review"]

    response = complete(api, review, {"comment": "looks good"})

    assert response.status == 422
    assert response.error_code == "INVALID_TRANSITION"


def test_waiting_needs_waiting_for_and_follow_up(api: ApiClient) -> None:
    draft = tasks_by_ref(create(api))["draft"]

    refused = api.patch(f"/tasks/{draft['task_id']}", {"status": "waiting", "waiting_for": "Legal"})
    accepted = api.patch(
        f"/tasks/{draft['task_id']}",
        {"status": "waiting", "waiting_for": "Legal", "follow_up_at": "2026-12-01T09:00:00Z"},
    )

    assert refused.status == 422 and refused.error_code == "VALIDATION_ERROR"
    assert accepted.status == 200
    assert accepted.body["task"]["status"] == "waiting"
    assert accepted.body["task"]["follow_up_at"] == "2026-12-01T09:00:00Z"


def test_stale_expected_version_on_task_is_a_conflict_with_current_item(api: ApiClient) -> None:
    draft = tasks_by_ref(create(api))["draft"]
    assert api.patch(f"/tasks/{draft['task_id']}", {"assignee": "rex"}).status == 200

    response = api.patch(f"/tasks/{draft['task_id']}", {"assignee": "mia", "expected_version": 1})

    assert response.status == 409
    assert response.error_code == "VERSION_CONFLICT"
    assert response.body["error"]["details"]["current"]["assignee"] == "rex"
    assert response.body["error"]["details"]["current"]["version"] == 2


def test_stage_moves_and_bundle_completes_as_tasks_are_done(api: ApiClient) -> None:
    body = create(api)
    bundle_id = body["bundle"]["bundle_id"]
    refs = tasks_by_ref(body)

    assert complete(api, refs["draft"], {"url": "https://docs.example.com/plan"}).status == 200
    assert complete(api, refs["review"], {"comment": "approved"}).status == 200
    assert api.get(f"/bundles/{bundle_id}").body["bundle"]["stage"] == "build"
    done_build = complete(api, refs["build"])
    assert done_build.status == 200

    verify = api.get(f"/tasks/{refs['verify']['task_id']}").body["task"]
    completed_on = done_build.body["task"]["completed_at"][:10]
    assert verify["due_date"] is not None and verify["due_date"] > completed_on
    assert complete(api, refs["verify"], {"external_status": "green"}).status == 200
    assert api.get(f"/bundles/{bundle_id}").body["bundle"]["stage"] == "ship"
    assert complete(api, refs["release"]).status == 200

    bundle = api.get(f"/bundles/{bundle_id}").body["bundle"]
    assert bundle["status"] == "completed"
    assert bundle["completed_at"]
    actions = [e["action"] for e in api.get(f"/bundles/{bundle_id}/events").body["items"]]
    assert actions.count("progressed") == 3


def test_reopening_a_done_task_clears_completion_and_reactivates_the_bundle(api: ApiClient) -> None:
    body = create(api)
    draft = tasks_by_ref(body)["draft"]
    complete(api, draft, {"url": "https://docs.example.com/plan"})

    response = api.patch(f"/tasks/{draft['task_id']}", {"status": "in_progress"})

    assert response.status == 200
    assert response.body["task"]["completed_at"] is None
    assert response.body["task"]["completed_by"] is None


def test_tasks_of_a_cancelled_bundle_cannot_change(api: ApiClient, admin: Caller) -> None:
    body = create(api)
    api.patch(f"/bundles/{body['bundle']['bundle_id']}", {"status": "cancelled"}, caller=admin)

    response = api.patch(f"/tasks/{tasks_by_ref(body)['draft']['task_id']}", {"assignee": "rex"})

    assert response.status == 409
    assert response.error_code == "BUNDLE_CLOSED"


def test_comment_is_stored_counted_and_audited(api: ApiClient) -> None:
    body = create(api)
    draft = tasks_by_ref(body)["draft"]

    response = api.post(f"/tasks/{draft['task_id']}/comments", {"text": "Started on the outline"})

    assert response.status == 201
    assert response.body["comment"]["text"] == "Started on the outline"
    assert response.body["comment"]["author"] == "mia"
    task = api.get(f"/tasks/{draft['task_id']}").body["task"]
    assert task["comments_count"] == 1 and task["version"] == 2
    listed = api.get(f"/tasks/{draft['task_id']}/comments").body["items"]
    assert [c["text"] for c in listed] == ["Started on the outline"]
    actions = [e["action"] for e in api.get(f"/bundles/{body['bundle']['bundle_id']}/events").body["items"]]
    assert actions == ["created", "commented"]


def test_comment_in_patch_fills_comment_proof(api: ApiClient) -> None:
    refs = tasks_by_ref(create(api))
    complete(api, refs["draft"], {"url": "https://docs.example.com/plan"})

    response = complete(api, refs["review"], comment="Reviewed and approved")

    assert response.status == 200
    assert response.body["task"]["proof"]["comment"] == "Reviewed and approved"
    assert response.body["task"]["comments_count"] == 1


def test_every_task_endpoint_answers_404_for_another_tenant(api: ApiClient, outsider: Caller) -> None:
    task_id = tasks_by_ref(create(api))["draft"]["task_id"]
    before = table_items()

    responses = [
        api.get(f"/tasks/{task_id}", caller=outsider),
        api.patch(f"/tasks/{task_id}", {"assignee": "oscar"}, caller=outsider),
        api.post(f"/tasks/{task_id}/comments", {"text": "hi"}, caller=outsider),
        api.get(f"/tasks/{task_id}/comments", caller=outsider),
    ]

    assert [r.status for r in responses] == [404, 404, 404, 404]
    assert all(r.error_code == "NOT_FOUND" for r in responses)
    assert table_items() == before


def test_viewer_reads_but_cannot_change_tasks(api: ApiClient, viewer: Caller) -> None:
    task_id = tasks_by_ref(create(api))["draft"]["task_id"]

    read = api.get(f"/tasks/{task_id}", caller=viewer)
    write = api.patch(f"/tasks/{task_id}", {"assignee": "vic"}, caller=viewer)
    comment = api.post(f"/tasks/{task_id}/comments", {"text": "hi"}, caller=viewer)

    assert read.status == 200
    assert write.status == 403 and write.error_code == "FORBIDDEN"
    assert comment.status == 403


def test_invalid_task_patch_is_a_validation_error(api: ApiClient) -> None:
    task_id = tasks_by_ref(create(api))["draft"]["task_id"]

    for body in (
        {"status": "finished"},
        {"due_date": "tomorrow"},
        {"proof": {"url": "not-a-url"}},
        {"follow_up_at": "2026-12-01T09:00:00"},
        {},
    ):
        response = api.patch(f"/tasks/{task_id}", body)
        assert response.status == 422, body
        assert response.error_code == "VALIDATION_ERROR", body


def test_unknown_ids_answer_404(api: ApiClient) -> None:
    assert api.get("/tasks/t_nope").status == 404
    assert api.get("/bundles/b_nope").status == 404
    assert api.get("/bundles/b_nope/events").status == 404
    assert api.get("/templates/nope").error_code == "TEMPLATE_NOT_FOUND"


def test_templates_are_listed_and_read(api: ApiClient) -> None:
    listed = api.get("/templates")
    one = api.get("/templates/test-flow")

    assert listed.status == 200
    assert {t["template_id"] for t in listed.body["items"]} == {
        "test-flow",
        "wide-twenty",
        "approval-flow",
        "deal-onboarding",
        "deal-welcome",
    }
    assert one.status == 200 and len(one.body["tasks"]) == 5
