"""``POST /events`` through the real handler on moto: one bundle per event and template, the caller's
tenant, redelivery creating nothing, and an event that does not fit leaving a reminder for the admins."""

from __future__ import annotations

import copy
from typing import Any

from tests.support.api import ApiClient, Caller
from workengine.domain.enums import Role
from workengine.domain.event_triggers import triggered_bundle_id

ADMIN = Caller("acme", "ada", Role.ADMIN)
EVENT: dict[str, Any] = {
    "event_id": "crm-4711",
    "detail_type": "DealClosed",
    "detail": {
        "tenant_id": "globex",
        "go_live": "2027-03-01",
        "deal": {"customer": "Initech", "seats": 40},
        "team": {"owner": "ola", "engineer": "eve"},
    },
}


def with_detail(**changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    event["detail"].update(changes)
    return event


def bundle_ids(api: ApiClient, caller: Caller | None = None) -> list[str]:
    listed = api.get("/bundles", query={"limit": "100"}, caller=caller)
    assert listed.status == 200, listed.body
    return sorted(b["bundle_id"] for b in listed.body["items"])


def failure_reminders(api: ApiClient) -> list[dict[str, Any]]:
    listed = api.get(
        "/reminders", query={"recipient": "role:admin", "kind": "automation_failure"}, caller=ADMIN
    )
    assert listed.status == 200, listed.body
    return list(listed.body["items"])


def test_an_event_starts_one_bundle_of_each_template_that_declares_it(api: ApiClient) -> None:
    # When
    answer = api.post("/events", EVENT)

    # Then
    assert answer.status == 202, answer.body
    expected = [
        {"bundle_id": triggered_bundle_id("acme", "crm-4711", t), "template_id": t}
        for t in ("deal-onboarding", "deal-welcome")
    ]
    assert answer.body == {"bundles": expected}
    onboarding = api.get(f"/bundles/{expected[0]['bundle_id']}").body
    bundle = onboarding["bundle"]
    assert bundle["tenant_id"] == "acme"
    assert bundle["title"] == "Onboard Initech by 2027-03-01" and bundle["anchor_date"] == "2027-03-01"
    assert bundle["inputs"] == {"customer": "Initech", "seats": 40}
    assert bundle["created_by"] == "mia" and bundle["owner"] == "ola"
    assert {t["template_task_ref"]: t["assignee"] for t in onboarding["tasks"]} == {
        "kickoff_call": "ola",
        "provision": "eve",
    }
    assert next(t["title"] for t in onboarding["tasks"]) == "Kick-off call with Initech"
    assert bundle_ids(api, Caller("globex", "gus", Role.ADMIN)) == []


def test_the_same_event_again_answers_the_same_bundles_and_creates_nothing(api: ApiClient) -> None:
    first = api.post("/events", EVENT)
    created = bundle_ids(api)
    events_before = api.get(f"/bundles/{created[0]}/events").body["items"]

    # When the sender retries, even with another detail under the same ID
    again = api.post("/events", EVENT)
    changed = api.post("/events", with_detail(go_live="2027-09-01"))

    # Then
    assert again.status == changed.status == 202
    assert again.body == changed.body == first.body
    assert bundle_ids(api) == created and len(created) == 2
    assert api.get(f"/bundles/{created[0]}/events").body["items"] == events_before
    assert api.get(f"/bundles/{created[0]}").body["bundle"]["anchor_date"] == "2027-03-01"


def test_another_event_id_starts_new_bundles(api: ApiClient) -> None:
    api.post("/events", EVENT)

    answer = api.post("/events", {**EVENT, "event_id": "crm-4712"})

    assert answer.status == 202 and len(bundle_ids(api)) == 4


def test_a_detail_that_does_not_fit_creates_nothing_and_tells_the_admins_once(api: ApiClient) -> None:
    bad = with_detail(deal={"customer": "Initech", "seats": 0})

    # When it arrives twice
    first = api.post("/events", bad)
    second = api.post("/events", bad)

    # Then
    assert (first.status, first.error_code) == (422, "VALIDATION_ERROR")
    assert first.body["error"]["details"]["field"] == "detail.deal.seats"
    assert second.body == first.body
    assert bundle_ids(api) == []
    (reminder,) = failure_reminders(api)
    assert reminder["recipient"] == "role:admin"
    assert reminder["bundle_id"] == triggered_bundle_id("acme", "crm-4711", "deal-onboarding")
    assert reminder["details"]["event_id"] == "crm-4711"
    assert reminder["details"]["field"] == "detail.deal.seats"
    assert "did not start" in reminder["message"]


def test_a_missing_or_malformed_anchor_is_named(api: ApiClient) -> None:
    for value, event_id in ((None, "e-1"), ("01.03.2027", "e-2")):
        event = with_detail(go_live=value)
        if value is None:
            del event["detail"]["go_live"]
        answer = api.post("/events", {**event, "event_id": event_id})
        assert answer.status == 422 and answer.body["error"]["details"]["field"] == "detail.go_live"
    # both templates read go_live: one reminder per template and event
    assert len(failure_reminders(api)) == 4
    assert bundle_ids(api) == []


def test_a_detail_type_no_template_declares_is_refused(api: ApiClient) -> None:
    answer = api.post("/events", {**EVENT, "detail_type": "InvoicePaid"})

    assert answer.status == 422
    assert answer.body["error"]["details"] == {"field": "detail_type", "allowed": ["DealClosed"]}
    assert failure_reminders(api) == []


def test_viewers_cannot_deliver_events(api: ApiClient) -> None:
    answer = api.post("/events", EVENT, caller=Caller("acme", "vic", Role.VIEWER))

    assert (answer.status, answer.error_code) == (403, "FORBIDDEN")
    assert bundle_ids(api) == []


def test_malformed_bodies_are_refused(api: ApiClient) -> None:
    for body in (
        {"detail_type": "DealClosed", "detail": {}},
        {**EVENT, "detail": ["x"]},
        {**EVENT, "event_id": ""},
        {**EVENT, "detail_type": "Deal\nClosed"},
        {**EVENT, "extra": 1},
    ):
        answer = api.post("/events", body)
        assert (answer.status, answer.error_code) == (422, "VALIDATION_ERROR"), body
    assert bundle_ids(api) == []


def test_an_admins_own_reminders_include_those_for_the_tenants_admins(api: ApiClient) -> None:
    api.post("/events", with_detail(go_live="someday"))

    def mine(caller: Caller) -> list[str]:
        listed = api.get("/reminders", query={"recipient": "me"}, caller=caller)
        assert listed.status == 200, listed.body
        return [r["kind"] for r in listed.body["items"]]

    assert mine(ADMIN) == ["automation_failure", "automation_failure"]
    assert mine(Caller("acme", "mia", Role.MEMBER)) == []
