"""``/reminders`` through the real API handler: stage-change reminders, listing, acknowledging."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.support.api import ApiClient, Caller
from tests.support.reminders import Clock, World
from workengine.domain.enums import TaskStatus
from workengine.domain.task_rules import ProofChange


@pytest.fixture
def staged(aws_env: None) -> tuple[World, str, dict[str, str]]:
    """A bundle whose plan stage was completed on 1 Dec, so it moved to build (mia: build, rex: verify)."""
    world = World(Clock(datetime(2026, 11, 1, tzinfo=UTC)))
    created = world.create_test_flow(date(2026, 12, 14))
    t = {task.template_task_ref: task.task_id for task in created.tasks}
    when = datetime(2026, 12, 1, 9, tzinfo=UTC)
    world.change(
        t["draft"], when, status=TaskStatus.DONE, proof=ProofChange(fields={"url": "https://x.io/d"})
    )
    world.change(t["review"], when, status=TaskStatus.DONE, comment="looks good")
    return world, created.bundle.bundle_id, t


def test_stage_move_creates_one_reminder_per_assignee_of_the_new_stage(
    staged: tuple[World, str, dict[str, str]], api: ApiClient
) -> None:
    world, bundle_id, t = staged

    # When
    listed = api.get("/reminders", query={"bundle_id": bundle_id, "kind": "stage_change"})

    # Then
    assert listed.status == 200, listed.body
    items = sorted(listed.body["items"], key=lambda r: r["recipient"])
    assert [(r["recipient"], r["status"]) for r in items] == [("mia", "pending"), ("rex", "pending")]
    assert items[0]["reminder_id"] == f"rem_{bundle_id}_stage_change_build_v2_mia"
    assert items[0]["details"]["task_ids"] == [t["build"]]
    assert not any(key.startswith("gsi") or key in ("pk", "sk") for key in items[0])

    # And the next sweep publishes them
    report = world.sweep(datetime(2026, 12, 1, 9, 15, tzinfo=UTC))
    assert report.published == 2
    after = api.get("/reminders", query={"kind": "stage_change"})
    assert {r["status"] for r in after.body["items"]} == {"published"}


def test_list_is_per_tenant_filtered_and_paged(
    staged: tuple[World, str, dict[str, str]], api: ApiClient, outsider: Caller
) -> None:
    world, _, _ = staged
    world.sweep(datetime(2026, 12, 8, 9, tzinfo=UTC))  # build due 12-09 → due reminder (mia)

    everything = api.get("/reminders")
    due = api.get("/reminders", query={"kind": "due"})
    first = api.get("/reminders", query={"limit": "1"})
    second = api.get("/reminders", query={"limit": "1", "next_token": first.body["next_token"]})

    assert {r["kind"] for r in everything.body["items"]} == {"stage_change", "due"}
    assert [r["kind"] for r in due.body["items"]] == ["due"]
    assert first.body["items"][0]["reminder_id"] != second.body["items"][0]["reminder_id"]
    assert api.get("/reminders", caller=outsider).body["items"] == []
    assert (
        api.get("/reminders", query={"next_token": first.body["next_token"]}, caller=outsider).status == 422
    )
    assert api.get("/reminders", query={"kind": "nope"}).error_code == "VALIDATION_ERROR"


def test_recipient_me_lists_only_the_callers_reminders(
    staged: tuple[World, str, dict[str, str]], api: ApiClient
) -> None:
    rex = Caller("acme", "rex")

    mine = api.get("/reminders", query={"recipient": "me"})  # the default caller is mia
    rexs = api.get("/reminders", query={"recipient": "me"}, caller=rex)
    named = api.get("/reminders", query={"recipient": "rex", "kind": "stage_change"})

    assert mine.status == 200 and {r["recipient"] for r in mine.body["items"]} == {"mia"}
    assert {r["recipient"] for r in rexs.body["items"]} == {"rex"}
    assert [r["recipient"] for r in named.body["items"]] == ["rex"]


def test_only_the_recipient_or_an_admin_acknowledges(
    staged: tuple[World, str, dict[str, str]], api: ApiClient, admin: Caller, outsider: Caller
) -> None:
    _, bundle_id, _ = staged
    mine = f"rem_{bundle_id}_stage_change_build_v2_mia"
    rexs = f"rem_{bundle_id}_stage_change_build_v2_rex"
    path = "/reminders/{}"

    assert api.patch(path.format(rexs), {"status": "acknowledged"}).error_code == "FORBIDDEN"
    assert api.patch(path.format(mine), {"status": "acknowledged"}, caller=outsider).error_code == "NOT_FOUND"
    assert api.patch(path.format(mine), {"status": "published"}).error_code == "VALIDATION_ERROR"
    acked = api.patch(path.format(mine), {"status": "acknowledged"})
    assert acked.status == 200 and acked.body["reminder"]["status"] == "acknowledged"
    by_admin = api.patch(path.format(rexs), {"status": "acknowledged"}, caller=admin)
    assert by_admin.status == 200 and by_admin.body["reminder"]["details"]["acknowledged_by"] == "ada"
    listed = api.get("/reminders", query={"bundle_id": bundle_id})
    assert {r["status"] for r in listed.body["items"]} == {"acknowledged"}
