"""The reminder sweep on moto: time travel per kind, idempotence, crash safety, read cost, publishing."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.support.reminders import Clock, World, count_items_read, reminder_ids, reminder_items
from workengine.dal.aws import client
from workengine.dal.codec import deserialize
from workengine.dal.due_task_repository import DynamoDueTaskRepository, SweepWriteOutcome, TaskSweepWrite
from workengine.dal.reminder_publisher import ReminderPublisher
from workengine.domain.entities import Reminder
from workengine.domain.enums import BundleStatus, Role, TaskStatus
from workengine.domain.identity import Identity
from workengine.domain.reminder_rules import reminders_due
from workengine.domain.task_rules import ProofChange
from workengine.services.bundle_service import BundleChange
from workengine.settings import get_settings
from workengine_tools.bench.moto_transactions import item_level_rollback
from workengine_tools.bench.seeding import due_task_items, put_items_into_moto

CREATED = datetime(2026, 11, 1, 9, tzinfo=UTC)
ANCHOR = date(2026, 12, 14)  # draft due 12-04 (url), review 12-06 (comment, rex), build 12-09, release 12-14


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def world(aws_env: None) -> Iterator[World]:
    with item_level_rollback():  # moto copies the whole table per transaction operation otherwise
        yield World(Clock(CREATED))


def ids_by_ref(world: World, anchor: date = ANCHOR) -> tuple[str, dict[str, str]]:
    created = world.create_test_flow(anchor)
    return created.bundle.bundle_id, {t.template_task_ref: t.task_id for t in created.tasks}


def stored_task(task_id: str, bundle_id: str) -> dict[str, Any]:
    item = client("dynamodb").get_item(
        TableName=get_settings().table_name,
        Key={"pk": {"S": f"T#acme#B#{bundle_id}"}, "sk": {"S": f"B#T#{task_id}"}},
    )["Item"]
    return deserialize(item)


def test_due_overdue_and_missing_evidence_fire_exactly_when_due(world: World) -> None:
    # Given a bundle created on 1 November
    bundle_id, t = ids_by_ref(world)

    # When the sweep runs before anything is due, then as days pass
    before = world.sweep(at(2, 12))
    day3 = world.sweep(at(3))
    day5 = world.sweep(at(5, 9))
    day6 = world.sweep(at(6, 9))
    day6_again = world.sweep(at(6, 9, 30))

    # Then each run creates exactly the reminders that fell due since the last one
    assert before.reminders_created == []
    assert day3.reminders_created == [f"rem_{t['draft']}_due_2026-12-04"]
    assert set(day5.reminders_created) == {
        f"rem_{t['draft']}_overdue_2026-12-05",
        f"rem_{t['draft']}_missing_evidence_late_2026-12-04",
        f"rem_{t['review']}_due_2026-12-06",
    }
    assert day6.reminders_created == [f"rem_{t['draft']}_overdue_2026-12-06"]
    assert day6_again.reminders_created == []
    stored = {r["reminder_id"]: r for r in reminder_items(bundle_id)}
    assert len(stored) == 5
    assert stored[f"rem_{t['review']}_due_2026-12-06"]["recipient"] == "rex"
    assert stored[f"rem_{t['draft']}_overdue_2026-12-06"]["recipient"] == "mia"
    assert stored[f"rem_{t['draft']}_missing_evidence_late_2026-12-04"]["details"]["missing"] == ["url"]
    assert all(r["status"] == "published" for r in stored.values())


def test_follow_up_and_missing_evidence_before_due(world: World) -> None:
    # Given draft waiting on legal until 2 Dec 15:00 and review in progress without its comment proof
    bundle_id, t = ids_by_ref(world)
    follow_up_at = at(2, 15)
    world.change(
        t["draft"], at(1, 10), status=TaskStatus.WAITING, waiting_for="legal", follow_up_at=follow_up_at
    )
    world.change(t["review"], at(1, 10), status=TaskStatus.IN_PROGRESS)

    # When
    early = world.sweep(at(2, 14, 59))
    follow = world.sweep(at(2, 15))
    due_day = world.sweep(at(6))

    # Then
    assert early.reminders_created == []
    assert follow.reminders_created == [f"rem_{t['draft']}_follow_up_20261202T150000Z"]
    [item] = [r for r in reminder_items(bundle_id) if r["kind"] == "follow_up"]
    assert item["recipient"] == "mia" and item["details"]["waiting_for"] == "legal"
    assert set(due_day.reminders_created) == {
        f"rem_{t['review']}_due_2026-12-06",
        f"rem_{t['review']}_missing_evidence_pre_2026-12-06",
        f"rem_{t['draft']}_overdue_2026-12-06",
        f"rem_{t['draft']}_missing_evidence_late_2026-12-04",
    }


def test_closed_tasks_leave_the_index_and_inactive_bundles_remind_nobody(world: World) -> None:
    # Given a done task, and a second bundle that was cancelled
    bundle_id, t = ids_by_ref(world)
    world.change(
        t["draft"], at(1), status=TaskStatus.DONE, proof=ProofChange(fields={"url": "https://x.example/p"})
    )
    cancelled = world.create_test_flow(ANCHOR, "Cancelled")
    repo = deps_bundles()
    bundle = repo.get_bundle("acme", cancelled.bundle.bundle_id)
    repo.save_changes(bundle=(bundle.model_copy(update={"status": BundleStatus.CANCELLED, "version": 2}), 1))

    # When
    world.sweep(at(6, 9))

    # Then
    assert "gsi_due_pk" not in stored_task(t["draft"], bundle_id)
    assert not any(r["task_id"] == t["draft"] for r in reminder_items(bundle_id))
    assert reminder_ids(cancelled.bundle.bundle_id) == set()
    swept = [x for x in cancelled.tasks if x.template_task_ref in ("draft", "review")]
    assert all("gsi_due_pk" not in stored_task(x.task_id, x.bundle_id) for x in swept)


def test_a_reactivated_bundle_reminds_again(world: World) -> None:
    # Given a bundle cancelled before its first task fell due, swept while cancelled
    bundle_id, t = ids_by_ref(world)
    admin = Identity("acme", "ada", Role.ADMIN)
    world.bundles().update_bundle(
        admin, bundle_id, BundleChange(fields_set=frozenset({"status"}), status=BundleStatus.CANCELLED)
    )
    world.sweep(at(6, 9))
    assert reminder_ids(bundle_id) == set()
    assert "gsi_due_pk" not in stored_task(t["draft"], bundle_id)
    version_before = stored_task(t["draft"], bundle_id)["version"]

    # When an admin makes it active again and the sweep runs
    world.clock.now = at(6, 10)
    world.bundles().update_bundle(
        admin, bundle_id, BundleChange(fields_set=frozenset({"status"}), status=BundleStatus.ACTIVE)
    )
    world.sweep(at(6, 11))

    # Then its open tasks are back in the reminder index (unchanged for clients) and remind again
    assert "gsi_due_pk" in stored_task(t["draft"], bundle_id)
    assert stored_task(t["draft"], bundle_id)["version"] == version_before
    assert any(r["task_id"] == t["draft"] and r["kind"] == "overdue" for r in reminder_items(bundle_id))


def deps_bundles() -> Any:
    from workengine.handlers.api import dependencies as deps

    return deps.bundle_repository()


class CrashingRepository(DynamoDueTaskRepository):
    """Fails like a Lambda timeout after ``allowed`` batch writes of the sweep: before the next one, or
    (``after_write``) right after it, before its reminders are published."""

    def __init__(self, allowed: int, *, after_write: bool = False) -> None:
        super().__init__(client("dynamodb"), get_settings().table_name)
        self.allowed = allowed
        self.after_write = after_write

    def write_sweep_batch(self, writes: Sequence[TaskSweepWrite]) -> SweepWriteOutcome:
        if self.allowed == 0 and not self.after_write:
            raise RuntimeError("injected crash")
        outcome = super().write_sweep_batch(writes)
        if self.allowed == 0:
            raise RuntimeError("injected crash")
        self.allowed -= 1
        return outcome


def expected_ids(world: World, bundle_ids: list[str], now: datetime) -> set[str]:
    found: set[str] = set()
    for bundle_id in bundle_ids:
        _, tasks = deps_bundles().get_bundle_with_tasks("acme", bundle_id)
        found |= {
            f"rem_{task.task_id}_{r.kind.value}_{r.occurrence}"
            for task in tasks
            for r in reminders_due(task, now)
        }
    return found


@pytest.mark.parametrize(("crash_after", "after_write"), [(0, False), (2, False), (1, True)])
def test_rerun_after_a_crash_completes_the_set_without_duplicates(
    world: World, crash_after: int, after_write: bool
) -> None:
    # Given three bundles with several reminders due on 6 Dec, swept two tasks to a page
    bundles = [world.create_test_flow(ANCHOR + timedelta(days=i), f"B{i}").bundle.bundle_id for i in range(3)]
    now = at(6, 9)
    expected = expected_ids(world, bundles, now)
    assert len(expected) >= 6

    # When the sweep crashes after k page writes, then runs again (twice)
    with pytest.raises(RuntimeError, match="injected crash"):
        world.sweep(now, due_tasks=CrashingRepository(crash_after, after_write=after_write), page_size=2)
    written = len(reminder_items())
    assert written < len(expected)
    rerun = world.sweep(now, page_size=2)
    again = world.sweep(now, page_size=2)

    # Then the set is complete, nothing is duplicated and every reminder was published
    assert reminder_ids() == expected
    assert len(reminder_items()) == len(expected)
    assert rerun.created == len(expected) - written
    assert again.created == 0 and again.published == 0
    assert {r["status"] for r in reminder_items()} == {"published"}


def test_sweep_reads_items_in_proportion_to_due_tasks_not_table_size(world: World) -> None:
    # Given 10,000 open tasks of which 100 fall due (in 10 bundles); the rest are due next year
    now = at(10, 9)
    put_items_into_moto(due_task_items(10_000, 100, now, "acme"))

    # When
    with count_items_read() as reads:
        report = world.sweep(now)

    # Then
    assert report.tasks_examined == 100
    assert len(report.reminders_created) == 100
    assert 100 <= reads.items <= 200, reads.items


def test_reminder_events_arrive_on_the_bus(world: World) -> None:
    # Given a rule on the project bus that forwards reminder events to a queue
    events, sqs = client("events"), client("sqs")
    queue_url = sqs.create_queue(QueueName="reminders")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    bus = get_settings().event_bus_name
    events.put_rule(
        Name="reminders-to-sqs",
        EventBusName=bus,
        EventPattern=json.dumps({"source": ["workengine"], "detail-type": ["ReminderCreated"]}),
    )
    events.put_targets(Rule="reminders-to-sqs", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    _, t = ids_by_ref(world)

    # When
    report = world.sweep(at(5, 9))

    # Then
    received: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            break
        received.extend(json.loads(m["Body"]) for m in batch)
    assert {e["detail"]["reminder_id"] for e in received} == set(report.reminders_created)
    assert len(received) == len(report.reminders_created) == 3
    assert all(e["source"] == "workengine" and e["detail-type"] == "ReminderCreated" for e in received)
    [due] = [e["detail"] for e in received if e["detail"]["kind"] == "due"]
    assert due["task_id"] == t["review"]
    assert due["recipient"] == "rex" and due["fire_at"] == "2026-12-05T00:00:00Z"


class FlakyEvents:
    """PutEvents double: fails the entries whose index is listed for each call, in order."""

    def __init__(self, failures: list[set[int]]) -> None:
        self.failures = failures
        self.calls: list[list[str]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append([json.loads(e["Detail"])["reminder_id"] for e in Entries])
        failing = self.failures.pop(0) if self.failures else set()
        results = [
            {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
            if i in failing
            else {"EventId": f"e{i}"}
            for i in range(len(Entries))
        ]
        return {"FailedEntryCount": len(failing), "Entries": results}


def reminder(i: int) -> Reminder:
    return Reminder(
        reminder_id=f"rem_{i}",
        tenant_id="acme",
        bundle_id="b_1",
        kind="due",
        fire_at=CREATED,
        recipient="mia",
        created_at=CREATED,
    )


def test_put_events_uses_batches_of_ten_and_retries_failed_entries() -> None:
    # Given 25 reminders and a bus that rejects two entries of the first call once
    events = FlakyEvents([{0, 3}])
    publisher = ReminderPublisher(events, "bus", max_attempts=3)

    # When
    result = publisher.publish([reminder(i) for i in range(25)])

    # Then
    assert [len(c) for c in events.calls] == [10, 2, 10, 5]
    assert events.calls[1] == ["rem_0", "rem_3"]
    assert len(result.published) == 25 and result.failed == []


def test_entries_failing_past_the_bound_become_publish_failed_and_the_next_sweep_retries(
    world: World,
) -> None:
    # Given a bus that rejects everything three times in a row
    _, t = ids_by_ref(world)
    failing = FlakyEvents([set(range(10))] * 3)

    # When
    first = world.sweep(at(3, 1), events=failing)

    # Then the reminder is kept as publish_failed, and a later sweep publishes it
    assert first.reminders_created == [f"rem_{t['draft']}_due_2026-12-04"]
    assert len(failing.calls) == 3 and first.publish_failed == 1
    assert [r["status"] for r in reminder_items()] == ["publish_failed"]
    healthy = FlakyEvents([])
    second = world.sweep(at(3, 2), events=healthy)
    assert second.reminders_created == [] and second.published == 1
    assert healthy.calls == [[f"rem_{t['draft']}_due_2026-12-04"]]
    assert [r["status"] for r in reminder_items()] == ["published"]
    assert all("gsi_due_pk" not in r for r in reminder_items())


def lambda_context(remaining_ms: int) -> Any:
    from workengine_tools.local.events import LocalLambdaContext

    class Context(LocalLambdaContext):
        def get_remaining_time_in_millis(self) -> int:
            return remaining_ms

    return Context()


def test_scheduled_handler_sweeps_as_of_the_event_time(world: World) -> None:
    # Given
    from workengine.handlers.sweep import lambda_handler

    _, t = ids_by_ref(world)
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "time": "2026-12-03T00:00:00Z"}

    # When
    result = lambda_handler(event, lambda_context(300_000))

    # Then
    assert result["reminders_created"] == 1 and result["published"] == 1 and result["complete"] is True
    assert reminder_ids() == {f"rem_{t['draft']}_due_2026-12-04"}


def test_the_handler_stops_before_its_time_runs_out(world: World) -> None:
    # Given an invocation with less time left than the sweep's reserve
    from workengine.handlers.sweep import lambda_handler

    ids_by_ref(world)
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "time": "2026-12-03T00:00:00Z"}

    # When
    result = lambda_handler(event, lambda_context(get_settings().sweep_reserve_seconds * 1000 - 1))

    # Then it leaves the shards to the next run (the index still holds them)
    assert result["complete"] is False and result["reminders_created"] == 0
    assert world.sweep(at(3)).created == 1


def test_the_scheduled_run_fans_shards_out_to_workers_through_sqs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the sweep queue of the deployed stack
    from workengine.handlers import sweep_worker
    from workengine.handlers.sweep import lambda_handler

    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName="sweep-work")["QueueUrl"]
    monkeypatch.setenv("WORKENGINE_SWEEP_QUEUE_URL", queue_url)
    get_settings.cache_clear()
    _, t = ids_by_ref(world)
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "time": "2026-12-05T09:00:00Z"}

    # When the schedule runs, then the worker receives every message
    scheduled = lambda_handler(event, lambda_context(300_000))
    messages = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        messages.extend(batch)
    results = [
        sweep_worker.lambda_handler({"Records": [{"body": m["Body"]}]}, lambda_context(300_000))
        for m in messages
    ]

    # Then one message per shard, and the workers create the reminders
    assert scheduled["handed_over"] == 16 and scheduled["reminders_created"] == 0
    assert len(messages) == 16
    assert sum(r["shards"][0]["reminders_created"] for r in results) == 3
    assert f"rem_{t['review']}_due_2026-12-06" in reminder_ids()
