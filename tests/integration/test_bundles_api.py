"""Bundles through the real lambda_handler on moto: create, read, list, update, audit, errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import ApiClient, Caller
from tests.support.aws import count_requests
from workengine.dal.aws import client
from workengine.settings import get_settings

CREATE = {
    "template_id": "test-flow",
    "title": "Launch v2",
    "anchor_date": "2026-12-14",
    "references": {"brief": "https://docs.example.com/brief"},
    "tags": ["launch"],
    "assignees": {"owner": "mia", "reviewer": "rex"},
}


def table_items() -> list[dict[str, Any]]:
    """Every item in the table (tests only: requests never scan)."""
    dynamodb = client("dynamodb")
    return list(dynamodb.scan(TableName=get_settings().table_name).get("Items", []))


def create(api: ApiClient, **overrides: Any) -> dict[str, Any]:
    response = api.post("/bundles", {**CREATE, **overrides})
    assert response.status == 201, response.body
    return dict(response.body)


def test_create_bundle_returns_bundle_and_tasks_from_the_template(api: ApiClient) -> None:
    # When
    body = create(api)

    # Then
    bundle, tasks = body["bundle"], body["tasks"]
    assert bundle["template_id"] == "test-flow"
    assert bundle["template_version"].startswith("2+")
    assert bundle["status"] == "active" and bundle["stage"] == "plan" and bundle["version"] == 1
    assert bundle["required_links"] == [
        {"name": "brief", "title": "Brief document", "url": "https://docs.example.com/brief"}
    ]
    assert [t["template_task_ref"] for t in tasks] == ["draft", "review", "build", "verify", "release"]
    by_ref = {t["template_task_ref"]: t for t in tasks}
    assert by_ref["draft"]["due_date"] == "2026-12-04"
    assert by_ref["review"]["assignee"] == "rex"
    assert by_ref["build"]["due_date"] == "2026-12-09"  # 3 business days before Monday 14th
    assert by_ref["verify"]["due_date"] is None
    assert by_ref["release"]["depends_on"] == [by_ref["build"]["task_id"], by_ref["verify"]["task_id"]]
    assert by_ref["release"]["instructions_url"] == "https://legacy.example.com/release"
    assert all(t["tenant_id"] == "acme" and t["bundle_id"] == bundle["bundle_id"] for t in tasks)
    assert not any(key in bundle for key in ("pk", "sk", "gsi_bundles_pk"))


def test_get_bundle_reads_bundle_with_tasks(api: ApiClient) -> None:
    created = create(api)
    bundle_id = created["bundle"]["bundle_id"]

    response = api.get(f"/bundles/{bundle_id}")

    assert response.status == 200
    assert response.body["bundle"] == created["bundle"]
    assert [t["task_id"] for t in response.body["tasks"]] == [t["task_id"] for t in created["tasks"]]


def test_unknown_template_answers_template_not_found_and_writes_nothing(api: ApiClient) -> None:
    response = api.post("/bundles", {**CREATE, "template_id": "nope"})

    assert response.status == 404
    assert response.error_code == "TEMPLATE_NOT_FOUND"
    assert table_items() == []


@pytest.mark.parametrize(
    "body",
    [
        {**CREATE, "anchor_date": "14/12/2026"},
        {**CREATE, "title": ""},
        {k: v for k, v in CREATE.items() if k != "template_id"},
        {**CREATE, "references": {"brief": "not a url"}},
        {**CREATE, "unexpected": 1},
        {**CREATE, "tags": "launch"},
    ],
)
def test_invalid_create_body_answers_422_and_writes_nothing(api: ApiClient, body: dict[str, Any]) -> None:
    response = api.post("/bundles", body)

    assert response.status == 422
    assert response.error_code == "VALIDATION_ERROR"
    assert response.body["error"]["message"]
    assert table_items() == []


def test_malformed_json_answers_422(api: ApiClient) -> None:
    response = api.call(
        "POST", "/bundles", raw_body="{not json", headers={"content-type": "application/json"}
    )

    assert response.status == 422
    assert response.error_code == "VALIDATION_ERROR"


def test_no_claims_answers_401(api: ApiClient) -> None:
    response = api.get("/bundles", anonymous=True)

    assert response.status == 401
    assert response.error_code == "UNAUTHORIZED"


def test_viewer_cannot_create_bundle(api: ApiClient, viewer: Caller) -> None:
    response = api.post("/bundles", CREATE, caller=viewer)

    assert response.status == 403
    assert response.error_code == "FORBIDDEN"
    assert table_items() == []


def test_another_tenant_gets_404_for_bundle_and_events(api: ApiClient, outsider: Caller) -> None:
    bundle_id = create(api)["bundle"]["bundle_id"]

    for path in (f"/bundles/{bundle_id}", f"/bundles/{bundle_id}/events"):
        response = api.get(path, caller=outsider)
        assert response.status == 404, path
        assert response.error_code == "NOT_FOUND"
    patched = api.patch(f"/bundles/{bundle_id}", {"title": "hijack"}, caller=outsider)
    assert patched.status == 404


def test_list_bundles_filters_and_paginates(api: ApiClient, admin: Caller) -> None:
    ids = [create(api, title=f"B{i}")["bundle"]["bundle_id"] for i in range(5)]
    wide = create(api, template_id="wide-twenty", title="wide", assignees={"owner": "mia"})
    other = wide["bundle"]["bundle_id"]
    cancelled = api.patch(f"/bundles/{ids[0]}", {"status": "cancelled"}, caller=admin)
    assert cancelled.status == 200

    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        query = {"limit": "2", "template_id": "test-flow", "status": "active"}
        if token:
            query["next_token"] = token
        page = api.get("/bundles", query=query)
        assert page.status == 200, page.body
        seen += [b["bundle_id"] for b in page.body["items"]]
        token = page.body["next_token"]
        pages += 1
        if not token:
            break

    assert sorted(seen) == sorted(ids[1:])
    assert pages >= 2
    assert other not in seen
    all_bundles = api.get("/bundles", query={"limit": "100"}).body["items"]
    assert {b["bundle_id"] for b in all_bundles} == {*ids, other}


def test_forged_or_foreign_next_token_is_refused(api: ApiClient, outsider: Caller) -> None:
    for i in range(3):
        create(api, title=f"B{i}")
    token = api.get("/bundles", query={"limit": "1"}).body["next_token"]
    assert token

    foreign = api.get("/bundles", query={"limit": "1", "next_token": token}, caller=outsider)
    altered = token[:-1] + ("0" if token[-1] != "0" else "1")
    forged = api.get("/bundles", query={"limit": "1", "next_token": altered})
    other_listing = api.get("/bundles", query={"limit": "1", "next_token": token, "status": "active"})

    for response in (foreign, forged, other_listing):
        assert response.status == 422
        assert response.error_code == "VALIDATION_ERROR"


def test_patch_bundle_bumps_version_and_appends_one_audit_event(api: ApiClient) -> None:
    created = create(api)["bundle"]
    bundle_id = created["bundle_id"]

    response = api.patch(f"/bundles/{bundle_id}", {"title": "Launch v2.1", "expected_version": 1})

    assert response.status == 200
    assert response.body["bundle"]["title"] == "Launch v2.1"
    assert response.body["bundle"]["version"] == 2
    events = api.get(f"/bundles/{bundle_id}/events").body["items"]
    assert [e["action"] for e in events] == ["created", "updated"]
    assert events[1]["actor"] == "mia"
    assert events[1]["before"] == {"title": "Launch v2", "version": 1}
    assert events[1]["after"] == {"title": "Launch v2.1", "version": 2}


def test_stale_expected_version_answers_409_with_current_item(api: ApiClient) -> None:
    bundle_id = create(api)["bundle"]["bundle_id"]
    assert api.patch(f"/bundles/{bundle_id}", {"title": "first"}).status == 200

    response = api.patch(f"/bundles/{bundle_id}", {"title": "second", "expected_version": 1})

    assert response.status == 409
    assert response.error_code == "VERSION_CONFLICT"
    assert response.body["error"]["details"]["current"]["title"] == "first"
    assert api.get(f"/bundles/{bundle_id}").body["bundle"]["title"] == "first"


def test_member_cannot_cancel_but_admin_can(api: ApiClient, admin: Caller) -> None:
    bundle_id = create(api)["bundle"]["bundle_id"]

    refused = api.patch(f"/bundles/{bundle_id}", {"status": "cancelled"})
    accepted = api.patch(f"/bundles/{bundle_id}", {"status": "cancelled"}, caller=admin)

    assert refused.status == 403 and refused.error_code == "FORBIDDEN"
    assert accepted.status == 200 and accepted.body["bundle"]["status"] == "cancelled"


def test_bundle_cannot_be_set_completed_by_hand(api: ApiClient) -> None:
    bundle_id = create(api)["bundle"]["bundle_id"]

    response = api.patch(f"/bundles/{bundle_id}", {"status": "completed"})

    assert response.status == 422
    assert response.error_code == "INVALID_TRANSITION"


def test_unknown_stage_is_refused(api: ApiClient) -> None:
    bundle_id = create(api)["bundle"]["bundle_id"]

    response = api.patch(f"/bundles/{bundle_id}", {"stage": "nowhere"})

    assert response.status == 422
    assert response.error_code == "VALIDATION_ERROR"


def test_idempotent_create_returns_first_result_and_creates_nothing_new(api: ApiClient) -> None:
    headers = {"Idempotency-Key": "create-123"}
    first = api.post("/bundles", CREATE, headers=headers)
    items_after_first = len(table_items())

    second = api.post("/bundles", CREATE, headers=headers)

    assert first.status == 201 and second.status == 201
    assert second.body == first.body
    assert len(table_items()) == items_after_first
    listed = api.get("/bundles").body["items"]
    assert len(listed) == 1


def test_same_idempotency_key_with_other_body_is_a_conflict(api: ApiClient) -> None:
    headers = {"Idempotency-Key": "create-456"}
    assert api.post("/bundles", CREATE, headers=headers).status == 201

    response = api.post("/bundles", {**CREATE, "title": "Other"}, headers=headers)

    assert response.status == 409
    assert response.error_code == "IDEMPOTENCY_CONFLICT"
    assert len(api.get("/bundles").body["items"]) == 1


def test_idempotency_keys_do_not_cross_tenants(api: ApiClient, outsider: Caller) -> None:
    headers = {"Idempotency-Key": "shared-key"}
    mine = api.post("/bundles", CREATE, headers=headers)
    theirs = api.post("/bundles", CREATE, headers=headers, caller=outsider)

    assert mine.status == theirs.status == 201
    assert mine.body["bundle"]["bundle_id"] != theirs.body["bundle"]["bundle_id"]
    assert theirs.body["bundle"]["tenant_id"] == "globex"


def test_get_bundle_of_twenty_tasks_is_one_dynamodb_request(api: ApiClient) -> None:
    bundle_id = create(api, template_id="wide-twenty", assignees={"owner": "mia"})["bundle"]["bundle_id"]

    with count_requests() as counter:
        response = api.get(f"/bundles/{bundle_id}")

    assert response.status == 200 and len(response.body["tasks"]) == 20
    assert counter.count("dynamodb") == 1
    assert counter.count("dynamodb", "Query") == 1


def test_create_bundle_of_twenty_tasks_takes_at_most_two_write_requests(api: ApiClient) -> None:
    with count_requests() as counter:
        response = api.post("/bundles", {**CREATE, "template_id": "wide-twenty", "assignees": {}})

    assert response.status == 201
    writes = sum(
        counter.count("dynamodb", op)
        for op in ("PutItem", "UpdateItem", "TransactWriteItems", "BatchWriteItem", "DeleteItem")
    )
    assert writes <= 2
    assert counter.count("dynamodb", "Scan") == 0


def test_health_and_openapi_need_no_token(api: ApiClient) -> None:
    health = api.get("/health", anonymous=True)
    openapi = api.get("/openapi.json", anonymous=True)

    assert health.status == 200 and health.body == {"status": "ok"}
    assert openapi.status == 200
    assert "/bundles" in openapi.body["paths"]
    assert "/tasks/{task_id}" in openapi.body["paths"]


def test_unknown_route_answers_contract_404(api: ApiClient) -> None:
    response = api.get("/nowhere")

    assert response.status == 404
    assert response.error_code == "NOT_FOUND"


def test_oversized_body_is_refused_with_413(api: ApiClient) -> None:
    response = api.post("/bundles", {**CREATE, "title": "x" * 300_000})

    assert response.status == 413
    assert response.error_code == "PAYLOAD_TOO_LARGE"
    assert table_items() == []
