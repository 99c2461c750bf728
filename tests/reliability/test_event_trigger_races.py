"""The two doors race: twelve forked processes (separate "Lambda instances") deliver one event at once,
half over ``POST /events`` and half as the trigger function's SQS record, against one moto server that
serves one request at a time (moto's conditional writes are not atomic across threads; DynamoDB's are,
so the race is between the instantiation and its conditional write, where it is in AWS)."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import pytest

from tests.integration.test_events_api import EVENT
from tests.reliability.test_concurrency import MEMBER, moto_endpoint, run_forked, table_items
from tests.support.api import ApiClient
from workengine.dal import table as t
from workengine.domain.event_triggers import triggered_bundle_id
from workengine.handlers.api import dependencies as deps
from workengine_tools.local.events import LocalLambdaContext

__all__ = ["moto_endpoint"]
DOORS = ["http", "bus"] * 6


def _sqs_event() -> dict[str, Any]:
    detail = {**EVENT["detail"], "tenant_id": "acme", "event_id": EVENT["event_id"]}
    envelope = {"id": f"eb-{os.getpid()}", "detail-type": "DealClosed", "source": "crm", "detail": detail}
    record = {"messageId": f"m-{os.getpid()}", "receiptHandle": "r", "body": json.dumps(envelope),
              "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "",
              "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:t",
              "awsRegion": "us-east-1"}  # fmt: skip
    return {"Records": [record]}


def _deliver(start: Any, results: Any, door: str) -> None:
    try:
        deps.reset()
        start.wait(timeout=60)
        if door == "http":
            response = ApiClient(MEMBER).post("/events", EVENT)
            results.put((door, response.status, response.body))
        else:
            from workengine.handlers.event_trigger import lambda_handler

            results.put((door, 200, lambda_handler(_sqs_event(), LocalLambdaContext())))
    except BaseException as exc:
        results.put((door, -1, f"{type(exc).__name__}: {exc}"))
    finally:
        results.close()
        results.join_thread()
        os._exit(0)


@pytest.mark.slow
def test_one_event_through_both_doors_at_once_creates_each_bundle_once(moto_endpoint: str) -> None:
    # When
    answers = run_forked(_deliver, [(door,) for door in DOORS])

    # Then every delivery succeeded with the same bundles
    expected = [
        {"bundle_id": triggered_bundle_id("acme", EVENT["event_id"], t), "template_id": t}
        for t in ("deal-onboarding", "deal-welcome")
    ]
    outcomes = Counter((door, status) for door, status, _ in answers)
    assert outcomes == {("http", 202): 6, ("bus", 200): 6}, answers
    assert all(body == {"bundles": expected} for door, _, body in answers if door == "http")
    assert all(body == {"batchItemFailures": []} for door, _, body in answers if door == "bus")
    # and the table holds each bundle once, with one creation audit event each
    items = table_items()
    bundles = [i for i in items if i[t.SK]["S"] == t.BUNDLE_SK]
    assert sorted(i["bundle_id"]["S"] for i in bundles) == sorted(b["bundle_id"] for b in expected)
    tasks = [i for i in items if i[t.SK]["S"].startswith(t.TASK_SK_PREFIX)]
    assert len(tasks) == 3  # two onboarding tasks, one welcome task
    events = [i for i in items if i[t.SK]["S"].startswith(t.EVENT_SK_PREFIX)]
    assert sorted(i["action"]["S"] for i in events) == ["created", "created"]
