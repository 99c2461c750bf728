"""A CRM's ``RenewalWindowOpened`` event put on the bus with ``workengine events put`` against
``workengine serve`` starts the customer-renewal bundle once: the same event again changes nothing, the
HTTP door answers the same bundle, and an event whose detail does not fit starts nothing and tells the
tenant's admins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from tests.e2e.test_local_server import E2E_SECRET, REPO, Http, LocalStack, local_stack, server, wait_for
from workengine.domain.event_triggers import triggered_bundle_id
from workengine.settings import DEFAULT_EVENT_TRIGGERS_QUEUE_NAME
from workengine_tools.local.tokens import issue_token

__all__ = ["local_stack", "server"]
TENANT = "renewals"
RENEWAL_DATE = (datetime.now(UTC) + timedelta(days=120)).date().isoformat()


def events_put(stack: LocalStack, detail: dict[str, Any]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "workengine_tools.cli.main", "events", "put",
         "--detail-type", "RenewalWindowOpened", "--detail", json.dumps(detail),
         "--endpoint-url", stack.moto_endpoint, "--json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def trigger_queue_drained(stack: LocalStack) -> bool:
    """The local trigger queue holds nothing, not even a message being handled (the second bus event
    has been delivered to the trigger handler)."""
    sqs = boto3.client(
        "sqs", endpoint_url=stack.moto_endpoint, region_name="us-east-1",
        aws_access_key_id="e2e", aws_secret_access_key="e2e",
    )  # fmt: skip
    url = sqs.get_queue_url(QueueName=DEFAULT_EVENT_TRIGGERS_QUEUE_NAME)["QueueUrl"]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return all(attributes[name] == "0" for name in names)


def renewal(**changes: Any) -> dict[str, Any]:
    return {
        "tenant_id": TENANT,
        "event_id": "crm-renewal-4711",
        "renewal_date": RENEWAL_DATE,
        "account": {"account_name": "Initech", "annual_value": 120000},
        "team": {"account-owner": "amy", "csm": "cal"},
        **changes,
    }


def test_a_renewal_event_put_on_the_bus_starts_the_renewal_bundle_once(local_stack: LocalStack) -> None:
    amy = Http(local_stack.base, issue_token(E2E_SECRET, tenant_id=TENANT, user_id="amy", role="member"))
    admin = Http(local_stack.base, issue_token(E2E_SECRET, tenant_id=TENANT, user_id="ann", role="admin"))

    def bundles() -> list[dict[str, Any]]:
        status, listed = amy.call("GET", "/bundles?limit=100")
        assert status == 200, listed
        return list(listed["items"])

    # When the CRM puts the event on the bus
    events_put(local_stack, renewal())

    # Then the local server's trigger loop starts the renewal bundle
    (bundle,) = wait_for(bundles, timeout=60)
    expected_id = triggered_bundle_id(TENANT, "crm-renewal-4711", "customer-renewal")
    assert bundle["bundle_id"] == expected_id
    assert bundle["template_id"] == "customer-renewal"
    assert bundle["title"] == f"Renewal due {RENEWAL_DATE}" and bundle["anchor_date"] == RENEWAL_DATE
    assert bundle["inputs"] == {"account_name": "Initech", "annual_value": 120000}
    assert bundle["created_by"] == "system:events" and bundle["owner"] == "amy"
    status, mine = amy.call("GET", "/tasks?assignee=me&limit=100")
    assert status == 200 and mine["items"], mine

    # When the same event arrives again on the bus and through the HTTP door
    events_put(local_stack, renewal())
    status, answer = amy.call(
        "POST",
        "/events",
        {"event_id": "crm-renewal-4711", "detail_type": "RenewalWindowOpened", "detail": renewal()},
    )

    # Then nothing new is created
    assert status == 202 and answer == {
        "bundles": [{"bundle_id": expected_id, "template_id": "customer-renewal"}]
    }
    assert wait_for(lambda: trigger_queue_drained(local_stack), timeout=60)
    assert [b["bundle_id"] for b in bundles()] == [expected_id]

    # When an event arrives whose renewal date is not a date
    events_put(local_stack, renewal(event_id="crm-renewal-4712", renewal_date="next spring"))

    # Then no bundle is started and the tenant's admins are told what was wrong
    def failure() -> list[dict[str, Any]]:
        _, listed = admin.call("GET", "/reminders?recipient=role:admin&kind=automation_failure")
        return list(listed["items"])

    (reminder,) = wait_for(failure, timeout=60)
    assert reminder["details"]["field"] == "detail.renewal_date"
    assert reminder["details"]["event_id"] == "crm-renewal-4712"
    assert [b["bundle_id"] for b in bundles()] == [expected_id]
