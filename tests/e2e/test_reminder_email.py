"""Reminder email through the local server as people use it: someone saves an address, a reminder is made
for them (an escalation), the sweep loop publishes it, the notifier loop drains the rule's queue, and the
email is in moto's SES (read over HTTP from moto's ``/moto-api/data.json``)."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.test_event_triggers import events_put
from tests.e2e.test_local_server import E2E_SECRET, Http, LocalStack, local_stack, wait_for
from workengine_tools.local.tokens import issue_token

__all__ = ["local_stack"]


def sent_mail(moto_endpoint: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{moto_endpoint}/moto-api/data.json", timeout=10) as response:
        data = json.loads(response.read())
    return list(data.get("ses", {}).get("Message", []))


def person(base: str, user: str, role: str = "member", tenant: str = "mailroom") -> Http:
    return Http(base, issue_token(E2E_SECRET, tenant_id=tenant, user_id=user, role=role))


def test_an_escalation_arrives_as_one_email_and_is_recorded_on_the_reminder(local_stack: LocalStack) -> None:
    base = local_stack.base
    mia, lea = person(base, "mia"), person(base, "lea")
    status, saved = lea.call(
        "PUT", "/me/preferences", {"email": "lea@example.com", "muted_kinds": ["recurring"]}
    )
    assert status == 200, saved
    status, created = mia.call(
        "POST",
        "/bundles",
        {
            "template_id": "podcast-episode",
            "title": "Episode 7",
            "anchor_date": "2027-03-01",
            "inputs": {"guest_name": "Grace Hopper"},
            "assignees": {"host": "mia", "producer": "mia", "editor": "mia"},
        },
    )
    assert status == 201, created
    task = created["tasks"][0]

    status, escalated = mia.call(
        "POST",
        f"/tasks/{task['task_id']}/actions",
        {"action": "escalate", "to": "user:lea", "reason": "stuck"},
    )
    assert status == 200, escalated

    def lea_mail() -> list[dict[str, Any]]:
        return [
            m
            for m in sent_mail(local_stack.moto_endpoint)
            if m["destinations"]["ToAddresses"] == ["lea@example.com"]
        ]

    [mail] = wait_for(lea_mail, timeout=90)
    assert mail["subject"] == f"[work engine] Escalated to you: {task['title']} (Episode 7)"
    assert "What to do:" in mail["body"] and "stuck" in mail["body"]

    def recorded() -> list[dict[str, Any]]:
        items = lea.call("GET", f"/reminders?bundle_id={created['bundle']['bundle_id']}&kind=escalation")[1][
            "items"
        ]
        return [d for r in items for d in r["deliveries"]]

    deliveries = wait_for(recorded)
    assert [(d["channel"], d["status"]) for d in deliveries] == [("email", "sent")]
    assert len(lea_mail()) == 1


def test_a_renewal_event_put_on_the_bus_ends_as_the_csms_first_reminder_email(
    local_stack: LocalStack,
) -> None:
    """The issue's "done when": ``workengine events put`` → the renewal bundle (once) → its first
    reminder (the health check, due tomorrow: its ``due`` reminder fires today) → an email in moto's SES."""
    tenant = "renewal-mail"
    cal = person(local_stack.base, "cal", tenant=tenant)
    status, saved = cal.call("PUT", "/me/preferences", {"email": "cal@example.com"})
    assert status == 200, saved
    renewal_date = (datetime.now(UTC) + timedelta(days=121)).date().isoformat()
    detail = {
        "tenant_id": tenant,
        "event_id": "crm-renewal-9001",
        "renewal_date": renewal_date,
        "account": {"account_name": "Umbrella", "annual_value": 50000},
        "team": {"account-owner": "amy", "csm": "cal"},
    }

    events_put(local_stack, detail)
    events_put(local_stack, detail)  # delivered twice: still one bundle, one email

    def cal_mail() -> list[dict[str, Any]]:
        return [
            m
            for m in sent_mail(local_stack.moto_endpoint)
            if m["destinations"]["ToAddresses"] == ["cal@example.com"]
        ]

    [mail] = wait_for(cal_mail, timeout=120)
    assert mail["subject"].startswith("[work engine] Due soon: ")
    assert f"Renewal due {renewal_date}" in mail["subject"]
    status, listed = cal.call("GET", "/bundles?limit=100")
    assert status == 200 and len(listed["items"]) == 1, listed

    def recorded() -> list[str]:  # the record follows SES's answer
        items = cal.call("GET", "/reminders?recipient=me&kind=due")[1]["items"]
        return [d["status"] for r in items for d in r["deliveries"]]

    assert wait_for(recorded) == ["sent"]
    assert len(cal_mail()) == 1
