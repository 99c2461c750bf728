"""The sweep's side of task actions on moto: a due snooze ends once with ``snooze_ended``; an overdue
task is escalated once to the template's ``escalate_to``; a task changed since the sweep read it is
left alone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.integration.test_approvals_api import reminders, start
from tests.integration.test_task_actions_api import LEA, act
from tests.support.api import ApiClient
from tests.support.reminders import MIA, Clock, World, reminder_items
from workengine.domain.entities import Bundle, Task
from workengine.domain.ids import new_id
from workengine.domain.task_actions import Snooze
from workengine.handlers.api import dependencies as deps
from workengine.services.task_action_service import TaskActionService
from workengine.services.task_action_sweep import TaskActionSweep


def due_pair(task: dict[str, Any]) -> tuple[Task, Bundle]:
    bundle, tasks = deps.bundle_repository().get_bundle_with_tasks("acme", task["bundle_id"])
    return next(t for t in tasks if t.task_id == task["task_id"]), bundle


def test_a_due_snooze_ends_once_with_a_reminder_to_the_assignee(api: ApiClient) -> None:
    draft = start(api)["draft"]
    until = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    act(api, draft, action="snooze", until=until.isoformat())
    sweep = TaskActionSweep(deps.bundle_repository(), new_id)

    sweep.visit([due_pair(draft)], until - timedelta(seconds=1))
    assert api.get(f"/tasks/{draft['task_id']}").body["task"]["snoozed_until"] is not None

    sweep.visit([due_pair(draft)], until)
    sweep.visit([due_pair(draft)], until + timedelta(minutes=5))

    stored = api.get(f"/tasks/{draft['task_id']}").body["task"]
    assert stored["snoozed_until"] is None
    assert [(r["recipient"], r["task_id"]) for r in reminders(api, "snooze_ended")] == [
        ("mia", draft["task_id"])
    ]
    events = api.get(f"/bundles/{draft['bundle_id']}/events").body["items"]
    ended = [e for e in events if e["entity_id"] == draft["task_id"] and e["action"] == "snooze_ended"]
    assert len(ended) == 1 and ended[0]["actor"] == "system"


def test_an_overdue_task_is_escalated_once_to_the_templates_role(api: ApiClient) -> None:
    draft = start(api)["draft"]
    assert draft["escalate_after_days"] == 2 and draft["escalate_to"] == "lead"
    due = date.fromisoformat(draft["due_date"])
    sweep = TaskActionSweep(deps.bundle_repository(), new_id)

    sweep.visit([due_pair(draft)], datetime.combine(due + timedelta(days=2), datetime.min.time(), UTC))
    assert api.get(f"/tasks/{draft['task_id']}").body["task"]["escalations"] == []

    on_time = datetime.combine(due + timedelta(days=3), datetime.min.time(), UTC)
    sweep.visit([due_pair(draft)], on_time)
    sweep.visit([due_pair(draft)], on_time + timedelta(days=1))

    escalations = api.get(f"/tasks/{draft['task_id']}").body["task"]["escalations"]
    assert [(e["to"], e["by"], e["level"]) for e in escalations] == [("lea", "system", 1)]
    assert [r["recipient"] for r in reminders(api, "escalation")] == ["lea"]
    listed = api.get("/tasks", query={"escalated_to": "me"}, caller=LEA).body["items"]
    assert [t["task_id"] for t in listed] == [draft["task_id"]]


def test_a_task_changed_after_the_sweep_read_it_is_left_for_the_next_sweep(api: ApiClient) -> None:
    draft = start(api)["draft"]
    until = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    act(api, draft, action="snooze", until=until.isoformat())
    stale = due_pair(draft)
    act(api, draft, action="reassign", to="user:zed")

    TaskActionSweep(deps.bundle_repository(), new_id).visit([stale], until)

    stored = api.get(f"/tasks/{draft['task_id']}").body["task"]
    assert stored["snoozed_until"] is not None and stored["assignee"] == "zed"
    assert reminders(api, "snooze_ended") == []


def test_the_sweep_ends_a_snooze_and_fires_what_fell_due_meanwhile(aws_env: None) -> None:
    # Given: a test-flow bundle whose draft is due on Dec 4; mia snoozes it from Dec 3 to Dec 6, 09:00
    world = World(Clock(datetime(2026, 12, 1, 8, tzinfo=UTC)))
    created = world.create_test_flow(date(2026, 12, 14))
    draft = next(t for t in created.tasks if t.template_task_ref == "draft")
    world.clock.now = datetime(2026, 12, 3, 8, tzinfo=UTC)
    until = datetime(2026, 12, 6, 9, tzinfo=UTC)
    actions = TaskActionService(
        deps.bundle_repository(), deps.task_committer(), deps.page_tokens(), clock=world.clock
    )
    actions.act(MIA, draft.task_id, Snooze(until))

    # When: the sweep runs daily through the snooze and after it
    quiet = [world.sweep(datetime(2026, 12, day, 10, tzinfo=UTC)) for day in (4, 5)]
    after = world.sweep(until + timedelta(hours=1))

    # Then: nothing fired while snoozed; at its end the snooze ended and today's overdue fired
    assert [r for report in quiet for r in report.reminders_created if draft.task_id in r] == []
    mine = [r for r in after.reminders_created if draft.task_id in r]
    assert any("_overdue_2026-12-06" in r for r in mine)
    snooze_ended = deps.bundle_repository().find_task("acme", draft.task_id)
    assert snooze_ended.snoozed_until is None
    kinds = {
        item["kind"]
        for item in reminder_items(created.bundle.bundle_id)
        if item.get("task_id") == draft.task_id
    }
    assert "snooze_ended" in kinds
