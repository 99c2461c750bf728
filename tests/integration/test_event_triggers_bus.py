"""The bus door on moto: ``workengine events put`` → the trigger rule → the trigger queue → the trigger
handler (drained as the local server does), once per event and template, whichever door it came by;
rejected events end in the dead-letter queue."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.integration.test_events_api import EVENT, bundle_ids, failure_reminders
from tests.support.api import ApiClient
from workengine.dal.aws import client
from workengine.domain.event_triggers import triggered_bundle_id
from workengine.settings import get_settings
from workengine_tools.cli.main import main
from workengine_tools.local.assistant_backend import queue_url
from workengine_tools.local.event_triggers import (
    MAX_RECEIVES,
    VISIBILITY_SECONDS,
    dead_letter_queue_name,
    drain_event_triggers_once,
)

DETAIL: dict[str, Any] = {**EVENT["detail"], "tenant_id": "acme"}


def put(detail: dict[str, Any], detail_type: str = "DealClosed", source: str = "crm") -> str:
    response = client("events").put_events(
        Entries=[
            {
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
                "EventBusName": get_settings().event_bus_name,
            }
        ]
    )
    assert response["FailedEntryCount"] == 0
    return str(response["Entries"][0]["EventId"])


def drain() -> int:
    return drain_event_triggers_once(get_settings())


def dead_letters() -> list[dict[str, Any]]:
    url = queue_url(dead_letter_queue_name(get_settings()))
    messages = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def test_an_event_put_with_the_cli_starts_the_bundles_once(
    api: ApiClient, capsys: pytest.CaptureFixture[str]
) -> None:
    # When
    code = main(["events", "put", "--detail-type", "DealClosed", "--detail", json.dumps(DETAIL), "--json"])
    event_id = json.loads(capsys.readouterr().out)["event_id"]
    delivered = drain()

    # Then
    assert code == 0 and delivered == 1
    expected = sorted(triggered_bundle_id("acme", event_id, t) for t in ("deal-onboarding", "deal-welcome"))
    assert bundle_ids(api) == expected
    bundle = api.get(f"/bundles/{triggered_bundle_id('acme', event_id, 'deal-onboarding')}").body["bundle"]
    assert bundle["created_by"] == "system:events" and bundle["owner"] == "ola"
    assert drain() == 0


def test_the_same_event_twice_on_the_bus_and_over_http_creates_each_bundle_once(api: ApiClient) -> None:
    # Given a sender that names its event and sends it through both doors, twice on the bus
    detail = {**DETAIL, "event_id": "crm-4711"}

    # When
    put(detail)
    put(detail)
    answer = api.post("/events", EVENT)
    while drain():
        pass

    # Then
    assert answer.status == 202
    assert bundle_ids(api) == sorted(b["bundle_id"] for b in answer.body["bundles"])
    assert len(bundle_ids(api)) == 2


def test_events_of_the_engine_itself_and_of_undeclared_types_are_not_delivered(api: ApiClient) -> None:
    put(DETAIL, source="workengine")
    put(DETAIL, detail_type="InvoicePaid")

    assert drain() == 0 and bundle_ids(api) == []


def test_a_rejected_event_tells_the_admins_once_and_ends_in_the_dead_letter_queue(api: ApiClient) -> None:
    # Given an event whose anchor date is not a date, and one without a tenant
    put({**DETAIL, "go_live": "soon"})
    put({key: value for key, value in DETAIL.items() if key != "tenant_id"})

    # When the trigger queue retries them up to its receive limit
    for _ in range(MAX_RECEIVES + 1):
        drain()
        time.sleep(VISIBILITY_SECONDS + 0.2)
    drain()

    # Then
    assert bundle_ids(api) == []
    assert sorted(r["details"]["template_id"] for r in failure_reminders(api)) == [
        "deal-onboarding",
        "deal-welcome",
    ]
    parked = dead_letters()
    assert sorted(m["detail"].get("go_live", "-") for m in parked) == ["2027-03-01", "soon"]
    assert drain() == 0
