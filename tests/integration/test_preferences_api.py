"""``/me/preferences`` through the real API handler: defaults, replace, validation (422), races (409)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import ApiClient, Caller
from workengine.dal.aws import client
from workengine.settings import get_settings


def put(api: ApiClient, body: dict[str, Any], caller: Caller | None = None) -> Any:
    return api.call("PUT", "/me/preferences", body=body, caller=caller)


def test_the_defaults_until_saved_then_what_was_saved(api: ApiClient, viewer: Caller) -> None:
    before = api.get("/me/preferences")
    saved = put(
        api,
        {
            "email": "Mia@Example.com",
            "channels": ["email"],
            "quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "Europe/Berlin"},
            "muted_kinds": ["recurring", "recurring"],
            "digest": "daily",
        },
    )
    after = api.get("/me/preferences")
    someone_else = api.get("/me/preferences", caller=viewer)

    assert before.status == 200
    assert before.body | {"user_id": "mia"} == {
        "user_id": "mia",
        "email": None,
        "channels": ["email", "events"],
        "quiet_hours": None,
        "muted_kinds": [],
        "digest": "off",
        "next_digest_at": None,
        "version": 0,
        "updated_at": None,
    }
    assert saved.status == 200, saved.body
    assert saved.body["email"] == "Mia@example.com"  # the domain is normalized
    assert saved.body["muted_kinds"] == ["recurring"] and saved.body["version"] == 1
    assert saved.body["next_digest_at"].endswith(("T06:00:00Z", "T05:00:00Z"))  # 07:00 in Berlin
    assert after.body == saved.body
    assert someone_else.body["version"] == 0 and someone_else.body["user_id"] == "vic"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "Mars/Olympus"}}, "time_zone"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00", "time_zone": "UTC"}}, "start"),
        ({"muted_kinds": ["spam"]}, "muted_kinds"),
        ({"channels": ["pigeon"]}, "channels"),
        ({"digest": "weekly"}, "digest"),
        ({"email": "not an address"}, "email"),
        ({"email": "a@b.io", "tenant_id": "globex"}, "tenant_id"),
    ],
)
def test_invalid_preferences_answer_422_and_store_nothing(
    api: ApiClient, body: dict[str, Any], field: str
) -> None:
    response = put(api, body)

    assert response.status == 422, response.body
    assert response.body["error"]["code"] == "VALIDATION_ERROR"
    assert field in str(response.body["error"]["details"])
    assert api.get("/me/preferences").body["version"] == 0


def test_preferences_are_per_tenant(api: ApiClient, outsider: Caller) -> None:
    put(api, {"email": "mia@example.com"})
    same_user_other_tenant = Caller(outsider.tenant_id, "mia", outsider.role)

    assert api.get("/me/preferences", caller=same_user_other_tenant).body["email"] is None


def test_a_save_based_on_a_stale_read_answers_409(api: ApiClient) -> None:
    from workengine.dal.notification_repository import DynamoNotificationRepository
    from workengine.domain.errors import VersionConflictError

    put(api, {"email": "mia@example.com"})
    repository = DynamoNotificationRepository(client("dynamodb"), get_settings().table_name)
    stale = repository.get_preferences("acme", "mia")
    assert stale is not None
    put(api, {"email": "mia@example.org"})  # someone saved meanwhile

    with pytest.raises(VersionConflictError):
        repository.save_preferences(stale.model_copy(update={"version": 2}), 1)
    assert api.get("/me/preferences").body["email"] == "mia@example.org"
