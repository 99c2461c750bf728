"""Filtered listings fill their pages: a filter that rejects most items read never yields an empty or
short page with a ``next_token`` while matching items remain within the read budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.test_bundles_api import CREATE
from tests.support.api import ApiClient
from workengine.dal.aws import client
from workengine.dal.reminder_repository import DynamoReminderRepository
from workengine.domain.entities import Reminder
from workengine.domain.enums import ReminderKind
from workengine.settings import get_settings

START = datetime(2026, 12, 1, 9, tzinfo=UTC)


def all_pages(api: ApiClient, path: str, query: dict[str, str]) -> list[list[dict[str, Any]]]:
    pages, token = [], None
    while True:
        answer = api.get(path, query={**query, **({"next_token": token} if token else {})})
        assert answer.status == 200, answer.body
        pages.append(answer.body["items"])
        token = answer.body["next_token"]
        if not token:
            return pages


def put_reminders(bundle_id: str, kinds: list[ReminderKind]) -> None:
    repository = DynamoReminderRepository(client("dynamodb"), get_settings().table_name)
    for number, kind in enumerate(kinds):
        at = START + timedelta(minutes=number)
        repository.put_new_reminder(
            Reminder(
                reminder_id=f"rem_{number:03d}",
                tenant_id="acme",
                bundle_id=bundle_id,
                kind=kind,
                fire_at=at,
                recipient="mia",
                created_at=at,
            )
        )


def test_reminders_of_one_kind_come_in_full_pages(api: ApiClient) -> None:
    # Given 40 reminders of which only every tenth is a follow-up (the reproduction: 8 pages for 2)
    bundle_id = api.post("/bundles", CREATE).body["bundle"]["bundle_id"]
    kinds = [ReminderKind.FOLLOW_UP if n % 10 == 0 else ReminderKind.DUE for n in range(40)]
    put_reminders(bundle_id, kinds)

    # When
    pages = all_pages(api, "/reminders", {"kind": "follow_up", "limit": "2"})

    # Then two full pages, then nothing: no empty or short page with a token
    assert [len(page) for page in pages] == [2, 2]
    assert {r["kind"] for page in pages for r in page} == {"follow_up"}
    listed = [r["reminder_id"] for page in pages for r in page]
    assert listed == ["rem_030", "rem_020", "rem_010", "rem_000"]  # newest first, none lost or repeated


def test_my_tasks_due_before_a_date_without_status_come_in_full_pages(api: ApiClient) -> None:
    # Given many tasks of mine in progress, due next year, which sort before my todo tasks due soon
    for month in range(4):
        later = api.post("/bundles", {**CREATE, "anchor_date": f"2027-0{month + 3}-15"}).body
        for task in later["tasks"]:
            if task["assignee"] == "mia":
                assert api.patch(f"/tasks/{task['task_id']}", {"status": "in_progress"}).status == 200
    soon = api.post("/bundles", {**CREATE, "anchor_date": "2026-12-14"}).body
    expected = sorted(t["task_id"] for t in soon["tasks"] if t["assignee"] == "mia" and t["due_date"])
    assert len(expected) >= 2

    # When
    pages = all_pages(api, "/tasks", {"assignee": "me", "due_before": "2027-01-01", "limit": "2"})

    # Then every page but the last is full, and exactly the soon tasks are listed
    assert all(len(page) == 2 for page in pages[:-1]), [len(page) for page in pages]
    assert sorted(t["task_id"] for page in pages for t in page) == expected
