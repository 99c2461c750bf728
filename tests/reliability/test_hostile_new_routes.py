"""Hostile requests to the v2 routes through the local HTTP server (events, preferences, insight,
showcases): each answers a 4xx with the contract's error body and writes nothing it should not."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.test_bundles_api import table_items
from tests.reliability.conftest import LocalServer

GO_LIVE = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()


def http(
    server: LocalServer, method: str, path: str, body: Any = None, *, raw: str | None = None, **claims: str
) -> tuple[int, Any]:
    data = raw.encode() if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(server.base_url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for name, value in server.bearer(**claims).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def assert_contract_error(status: int, body: Any, expected: int, code: str | None = None) -> None:
    assert status == expected, (status, body)
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and isinstance(body["error"]["details"], dict), body
    if code:
        assert body["error"]["code"] == code, body


def deal(**changes: Any) -> dict[str, Any]:
    """The fixture catalog's ``DealClosed`` detail (deal-onboarding and deal-welcome start on it)."""
    return {"go_live": GO_LIVE, "deal": {"customer": "Initech", "seats": 40}, **changes}


def event(**changes: Any) -> dict[str, Any]:
    return {"event_id": "crm-4711", "detail_type": "DealClosed", "detail": deal(), **changes}


def _deep(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(json.dumps(event(detail=deal(blob="x" * 400_000))), id="huge-detail"),
        pytest.param(json.dumps(event())[:-1] + ', "x": 1}', id="unknown-member"),
        pytest.param(
            json.dumps(event()).replace('"detail": {', '"detail": {"deep": ' + _deep(60) + ", "),
            id="deep-detail",
        ),
        pytest.param(json.dumps(event(event_id=4711)), id="event-id-number"),
        pytest.param(json.dumps(event(event_id=["a"])), id="event-id-list"),
        pytest.param(json.dumps(event(event_id=None)), id="event-id-null"),
        pytest.param(json.dumps(event(event_id="")), id="event-id-empty"),
        pytest.param(json.dumps(event(event_id="a\nb")), id="event-id-newline"),
        pytest.param(json.dumps(event(event_id="x" * 5000)), id="event-id-huge"),
        pytest.param(json.dumps(event(detail="not an object")), id="detail-string"),
        pytest.param(json.dumps(event(detail=[1, 2])), id="detail-list"),
        pytest.param(json.dumps(event(detail=None)), id="detail-null"),
        pytest.param(json.dumps(event(detail_type=7)), id="detail-type-number"),
        pytest.param(json.dumps(event(detail_type="")), id="detail-type-empty"),
        pytest.param(json.dumps(event(detail_type="x" * 5000)), id="detail-type-huge"),
        pytest.param(json.dumps(event()).replace('"go_live": ', '"n": NaN, "go_live": '), id="NaN"),
        pytest.param(
            json.dumps(event()).replace('"go_live": ', '"n": 1' + "0" * 60 + ', "go_live": '), id="10**60"
        ),
        pytest.param(json.dumps(event()).replace('"go_live": ', '"n": "\\u0000", "go_live": '), id="nul"),
    ],
)
def test_hostile_event_bodies_are_refused_and_start_nothing(local_server: LocalServer, raw: str) -> None:
    before = table_items()

    status, body = http(local_server, "POST", "/events", raw=raw)

    assert 400 <= status < 500, (status, body)
    assert_contract_error(status, body, status)
    assert table_items() == before


def test_the_tenant_in_an_event_detail_is_ignored_for_the_callers(local_server: LocalServer) -> None:
    # When: acme's member posts an event whose detail names another tenant
    status, answer = http(local_server, "POST", "/events", event(detail=deal(tenant_id="globex")))

    # Then: the bundles are acme's, and globex sees none of them
    assert status == 202, answer
    assert {b["template_id"] for b in answer["bundles"]} == {"deal-onboarding", "deal-welcome"}
    for started in answer["bundles"]:
        assert (
            http(local_server, "GET", f"/bundles/{started['bundle_id']}")[1]["bundle"]["tenant_id"] == "acme"
        )
        status, body = http(local_server, "GET", f"/bundles/{started['bundle_id']}", tenant_id="globex")
        assert_contract_error(status, body, 404, "NOT_FOUND")
    assert http(local_server, "GET", "/bundles", tenant_id="globex")[1]["items"] == []


@pytest.mark.parametrize(
    ("body", "role", "status", "code"),
    [
        pytest.param(
            event(detail_type="NoSuchThingHappened"), "member", 422, "VALIDATION_ERROR", id="unknown-type"
        ),
        pytest.param(event(), "viewer", 403, "FORBIDDEN", id="viewer"),
        pytest.param([event()], "member", 422, "VALIDATION_ERROR", id="one-item-array"),
    ],
)
def test_events_nobody_can_start_write_nothing(
    local_server: LocalServer, body: Any, role: str, status: int, code: str
) -> None:
    before = table_items()

    answer = http(local_server, "POST", "/events", body, role=role)

    assert_contract_error(*answer, status, code)
    assert table_items() == before


PREFERENCES = {
    "email": "mia@example.com",
    "channels": ["email"],
    "quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "Europe/Berlin"},
    "muted_kinds": ["due"],
    "digest": "daily",
}


def quiet(**changes: Any) -> dict[str, Any]:
    return {**PREFERENCES, "quiet_hours": {**PREFERENCES["quiet_hours"], **changes}}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(quiet(time_zone="Mars/Olympus"), id="unknown-zone"),
        pytest.param(quiet(time_zone="zone.tab"), id="tzdata-file"),
        pytest.param(quiet(time_zone="../../etc/passwd"), id="zone-traversal"),
        pytest.param(quiet(time_zone="/etc/localtime"), id="zone-absolute"),
        pytest.param(quiet(time_zone=5), id="zone-number"),
        pytest.param(quiet(start="25:00"), id="25:00"),
        pytest.param(quiet(end="24:00"), id="24:00"),
        pytest.param(quiet(end="7:00"), id="7:00"),
        pytest.param(quiet(days=["mon"]), id="quiet-hours-unknown-member"),
        pytest.param({**PREFERENCES, "quiet_hours": {"start": "22:00"}}, id="quiet-hours-partial"),
        pytest.param({**PREFERENCES, "muted_kinds": ["spam"]}, id="unknown-muted-kind"),
        pytest.param({**PREFERENCES, "muted_kinds": "due"}, id="muted-kinds-string"),
        pytest.param({**PREFERENCES, "muted_kinds": ["due"] * 1000}, id="muted-kinds-1000"),
        pytest.param({**PREFERENCES, "channels": ["sms"]}, id="unknown-channel"),
        pytest.param({**PREFERENCES, "digest": "weekly"}, id="weekly-digest"),
        pytest.param({**PREFERENCES, "email": "not-an-email"}, id="bad-email"),
        pytest.param({**PREFERENCES, "tenant_id": "globex"}, id="tenant-in-body"),
        pytest.param([PREFERENCES], id="one-item-array"),
    ],
)
def test_hostile_preferences_are_refused_and_keep_what_was_saved(
    local_server: LocalServer, body: Any
) -> None:
    # Given: saved preferences
    saved = http(local_server, "PUT", "/me/preferences", PREFERENCES)
    assert saved[0] == 200, saved

    # When
    answer = http(local_server, "PUT", "/me/preferences", body)

    # Then: 422 with the contract body, and what was saved stays
    assert_contract_error(*answer, 422, "VALIDATION_ERROR")
    assert http(local_server, "GET", "/me/preferences") == saved


def test_tenant_attention_is_for_admins(local_server: LocalServer) -> None:
    assert_contract_error(*http(local_server, "GET", "/attention?scope=tenant"), 403, "FORBIDDEN")
    assert_contract_error(*http(local_server, "GET", "/attention?scope=all", role="admin"), 422)
    assert http(local_server, "GET", "/attention?scope=tenant", role="admin")[0] == 200
