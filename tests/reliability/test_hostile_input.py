"""Hostile requests: each answers a 4xx with the contract's error body and writes nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest

from tests.integration.test_bundles_api import CREATE, create, table_items
from tests.reliability.conftest import LocalServer
from tests.support.api import ApiClient, ApiResponse, Caller
from workengine_tools.local.tokens import AUDIENCE, ISSUER


def assert_refused(response: ApiResponse, status: int, code: str | None = None) -> None:
    assert response.status == status, (response.status, response.body)
    error = response.body["error"]
    assert isinstance(error["message"], str) and isinstance(error["details"], dict)
    if code:
        assert error["code"] == code, response.body


@pytest.mark.parametrize(
    "raw_body",
    [
        pytest.param("x" * (300 * 1024), id="oversized"),
        pytest.param("[" * 10_000 + "]" * 10_000, id="deep-json-arrays"),
        pytest.param('{"a":' * 5_000 + "1" + "}" * 5_000, id="deep-json-objects"),
        pytest.param("{not json", id="malformed"),
        pytest.param("null", id="null"),
        pytest.param("[]", id="array"),
        pytest.param(json.dumps({**CREATE, "title": 123}), id="title-number"),
        pytest.param(json.dumps({**CREATE, "anchor_date": "2026-02-30"}), id="impossible-date"),
        pytest.param(json.dumps({**CREATE, "tags": "launch"}), id="tags-string"),
        pytest.param(json.dumps({**CREATE, "title": "x" * 100_000}), id="huge-title"),
        pytest.param(json.dumps({**CREATE, "references": {"brief": "javascript:alert(1)"}}), id="bad-url"),
        pytest.param(json.dumps({**CREATE, "template_id": "../../etc/passwd"}), id="traversal-template"),
    ],
)
def test_hostile_create_bodies_are_refused_and_write_nothing(api: ApiClient, raw_body: str) -> None:
    before = table_items()

    response = api.call("POST", "/bundles", raw_body=raw_body, headers={"content-type": "application/json"})

    assert 400 <= response.status < 500, (response.status, response.body)
    assert_refused(response, response.status)
    assert table_items() == before


def test_lone_surrogate_escaped_in_json_is_refused_or_stored_intact(api: ApiClient) -> None:
    before = table_items()

    response = api.call(
        "POST",
        "/bundles",
        raw_body=json.dumps(CREATE)[:-1] + ', "title": "bad \\ud800 surrogate"}',
        headers={"content-type": "application/json"},
    )

    assert response.status < 500, response.body
    if response.status >= 400:
        assert_refused(response, response.status)
        assert table_items() == before


@pytest.mark.parametrize(
    "title",
    [
        "مرحبا بالعالم",
        "emoji 🚀👩🏽‍💻 and ZWJ",
        "combining é and ﬁ ligature",
        "עברית with a \u200f mark",
    ],
)
def test_unicode_titles_round_trip(api: ApiClient, title: str) -> None:
    created = create(api, title=title)

    fetched = api.get(f"/bundles/{created['bundle']['bundle_id']}")

    assert fetched.status == 200 and fetched.body["bundle"]["title"] == title


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/bundles", {"limit": "1000000000000"}),
        ("/bundles", {"limit": "0"}),
        ("/bundles", {"limit": "-1"}),
        ("/bundles", {"limit": "ten"}),
        ("/tasks", {"limit": "101"}),
        ("/tasks", {"due_before": "yesterday"}),
        ("/bundles", {"status": "exploded"}),
        ("/bundles", {"next_token": "forged.0123456789abcdef0123456789abcdef"}),
        ("/bundles", {"next_token": "é.ü"}),
        ("/tasks", {"next_token": "x" * 5000}),
    ],
)
def test_hostile_queries_answer_422(api: ApiClient, path: str, query: dict[str, str]) -> None:
    assert_refused(api.get(path, query=query), 422, "VALIDATION_ERROR")


def test_a_next_token_from_another_tenant_or_listing_is_refused(api: ApiClient, outsider: Caller) -> None:
    for i in range(3):
        create(api, title=f"B{i}")
    token = api.get("/bundles", query={"limit": "1"}).body["next_token"]
    create(api.__class__(outsider), title="theirs")
    assert token

    foreign = api.get("/bundles", query={"limit": "1", "next_token": token}, caller=outsider)
    other_listing = api.get("/bundles", query={"limit": "1", "status": "active", "next_token": token})

    assert_refused(foreign, 422, "VALIDATION_ERROR")
    assert_refused(other_listing, 422, "VALIDATION_ERROR")


def test_roles_too_low_are_forbidden_and_write_nothing(
    api: ApiClient, viewer: Caller, member: Caller
) -> None:
    created = create(api)
    task = created["tasks"][0]
    before = table_items()

    attempts = [
        api.post("/bundles", CREATE, caller=viewer),
        api.post("/bundles", CREATE, caller=viewer, headers={"Idempotency-Key": "viewer-key"}),
        api.patch(f"/tasks/{task['task_id']}", {"status": "in_progress"}, caller=viewer),
        api.post(f"/tasks/{task['task_id']}/comments", {"text": "hi"}, caller=viewer),
        api.patch(f"/bundles/{created['bundle']['bundle_id']}", {"status": "cancelled"}, caller=member),
    ]

    for response in attempts:
        assert_refused(response, 403, "FORBIDDEN")
    assert table_items() == before


def test_another_tenants_ids_are_not_found(api: ApiClient, outsider: Caller) -> None:
    created = create(api)
    task = created["tasks"][0]

    assert_refused(api.get(f"/bundles/{created['bundle']['bundle_id']}", caller=outsider), 404, "NOT_FOUND")
    assert_refused(api.get(f"/tasks/{task['task_id']}", caller=outsider), 404, "NOT_FOUND")
    patched = api.patch(f"/tasks/{task['task_id']}", {"status": "in_progress"}, caller=outsider)
    assert_refused(patched, 404, "NOT_FOUND")


def _dispatch(server: LocalServer, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    status, _, raw = server.local_api.dispatch(
        method, path, {**headers, "Content-Type": "application/json"}, data
    )
    return status, json.loads(raw)


def test_bad_tokens_are_401_at_the_gateway_and_write_nothing(local_server: LocalServer) -> None:
    now = int(time.time())
    expired = local_server.token(ttl=-60)
    wrong_key = jwt.encode(
        {
            "sub": "mia",
            "custom:tenant_id": "acme",
            "custom:role": "admin",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "exp": now + 600,
        },
        "not-the-secret-not-the-secret-123",
        algorithm="HS256",
    )
    unsigned = jwt.encode(
        {
            "sub": "mia",
            "custom:tenant_id": "acme",
            "custom:role": "admin",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "exp": now + 600,
        },
        key="",
        algorithm="none",
    )
    before = table_items()

    for headers in [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic bWlhOnB3"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {wrong_key}"},
        {"Authorization": f"Bearer {unsigned}"},
        {"Authorization": "Bearer not.a.jwt"},
    ]:
        status, body = _dispatch(local_server, "POST", "/bundles", headers, CREATE)
        assert status == 401 and body["error"]["code"] == "UNAUTHORIZED", (headers, body)
    assert table_items() == before


def test_a_token_without_a_valid_role_is_401(local_server: LocalServer) -> None:
    status, body = _dispatch(
        local_server, "GET", "/bundles", {"Authorization": f"Bearer {local_server.token(role='root')}"}
    )

    assert status == 401 and body["error"]["code"] == "UNAUTHORIZED"


def test_another_tenants_token_sees_nothing_of_ours(local_server: LocalServer) -> None:
    ours = _dispatch(local_server, "POST", "/bundles", local_server.bearer(), CREATE)[1]["bundle"]
    theirs = local_server.bearer(tenant_id="globex", user_id="oscar", role="admin")

    status, body = _dispatch(local_server, "GET", f"/bundles/{ours['bundle_id']}", theirs)
    listed = _dispatch(local_server, "GET", "/bundles", theirs)[1]

    assert status == 404 and body["error"]["code"] == "NOT_FOUND"
    assert listed["items"] == []
