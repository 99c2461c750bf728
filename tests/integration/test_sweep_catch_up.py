"""The sweep after downtime and at scale, on moto: catch-up however long it did not run, bounded pages,
handover of the remainder, no duplicates across crashes and handovers, requests per due task."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.support.reminders import Clock, World, count_items_read, reminder_ids, reminder_items
from workengine.domain.reminder_rules import reminders_due
from workengine.domain.sweep_shards import ShardWork
from workengine_tools.bench.moto_transactions import item_level_rollback
from workengine_tools.bench.seeding import due_task_items, put_items_into_moto

CREATED = datetime(2026, 11, 1, 9, tzinfo=UTC)
ANCHOR = date(2026, 12, 14)  # tasks due 12-04, 12-06, 12-09 and 12-14
SOON = date(2026, 11, 12)  # tasks due 11-02, 11-04, 11-07 and 11-12: the first reminder fires on day 0


@pytest.fixture
def world(aws_env: None) -> Iterator[World]:
    with item_level_rollback():  # moto copies the whole table per transaction operation otherwise
        yield World(Clock(CREATED))


class PagesBudget:
    """Exhausted after ``pages`` checks: the stand-in for a Lambda running out of time."""

    def __init__(self, pages: int) -> None:
        self.left = pages

    def exhausted(self) -> bool:
        self.left -= 1
        return self.left < 0


class ListHandover:
    def __init__(self) -> None:
        self.work: list[ShardWork] = []

    def hand_over(self, work: Sequence[ShardWork]) -> None:
        self.work.extend(work)


def dated_open_task_ids(world: World, bundle_id: str) -> list[str]:
    from workengine.handlers.api import dependencies as deps

    _, tasks = deps.bundle_repository().get_bundle_with_tasks("acme", bundle_id)
    return [task.task_id for task in tasks if task.status.is_open and task.due_date is not None]


def expected_at(world: World, bundle_ids: list[str], now: datetime) -> set[str]:
    from workengine.handlers.api import dependencies as deps

    found: set[str] = set()
    for bundle_id in bundle_ids:
        _, tasks = deps.bundle_repository().get_bundle_with_tasks("acme", bundle_id)
        found |= {
            f"rem_{t.task_id}_{r.kind.value}_{r.occurrence}" for t in tasks for r in reminders_due(t, now)
        }
    return found


@pytest.mark.parametrize("days", [8, 60, 400])
def test_a_sweep_long_after_creation_finds_every_due_task(world: World, days: int) -> None:
    # Given a bundle whose tasks fall due over the next days, and no sweep ever since
    bundle_id = world.create_test_flow(SOON).bundle.bundle_id
    now = CREATED + timedelta(days=days)

    # When the first sweep runs `days` later
    report = world.sweep(now)

    # Then every task that is due by now is examined and gets the reminders of now: one overdue each
    overdue = [r for r in reminder_items(bundle_id) if r["kind"] == "overdue"]
    due_by_now = [t for t in dated_open_task_ids(world, bundle_id) if any(r["task_id"] == t for r in overdue)]
    assert report.tasks_examined >= 1
    assert reminder_ids(bundle_id) == expected_at(world, [bundle_id], now)
    assert len(overdue) == len(due_by_now) == len({r["task_id"] for r in overdue})
    assert {r["reminder_id"].rsplit("_", 1)[1] for r in overdue} == {now.date().isoformat()}
    assert len(overdue) >= 2
    if days >= 60:
        assert len(overdue) == len(dated_open_task_ids(world, bundle_id))  # everything is overdue by then
    # And the next day's sweep adds that day's overdue reminders, one per overdue task
    tomorrow = now + timedelta(days=1)
    next_day = world.sweep(tomorrow)
    assert reminder_ids(bundle_id) == expected_at(world, [bundle_id], now) | expected_at(
        world, [bundle_id], tomorrow
    )
    assert len([r for r in reminder_items(bundle_id) if r["kind"] == "overdue"]) == len(overdue) + len(
        [i for i in expected_at(world, [bundle_id], tomorrow) if "_overdue_" in i]
    )
    assert next_day.created >= len(overdue)


def test_time_travel_with_the_cli(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    # Given
    from workengine_tools.cli.main import main

    bundle_id = world.create_test_flow(ANCHOR).bundle.bundle_id
    later = CREATED + timedelta(days=60)

    # When
    code = main(["sweep", "--now", later.isoformat(), "--json"])

    # Then
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0
    assert summary["tasks_examined"] >= 3 and summary["complete"] is True
    assert reminder_ids(bundle_id) == expected_at(world, [bundle_id], later)
    assert len([r for r in reminder_items(bundle_id) if r["kind"] == "overdue"]) == len(
        dated_open_task_ids(world, bundle_id)
    )


@pytest.mark.parametrize("crash_after", [1, 3])
def test_crash_midway_through_a_catch_up_then_rerun(world: World, crash_after: int) -> None:
    # Given four bundles not swept for 60 days, read two tasks to a page
    from tests.integration.test_reminder_sweep import CrashingRepository

    bundles = [world.create_test_flow(ANCHOR + timedelta(days=i), f"B{i}").bundle.bundle_id for i in range(4)]
    now = CREATED + timedelta(days=60)
    expected = expected_at(world, bundles, now)

    # When the catch-up crashes after some pages, then runs again
    with pytest.raises(RuntimeError, match="injected crash"):
        world.sweep(now, due_tasks=CrashingRepository(crash_after), page_size=2)
    partial = len(reminder_items())
    rerun = world.sweep(now, page_size=2)

    # Then the set is complete and nothing is duplicated
    assert 0 < partial < len(expected)
    assert reminder_ids() == expected and len(reminder_items()) == len(expected)
    assert rerun.created == len(expected) - partial
    assert {r["status"] for r in reminder_items()} == {"published"}


def test_a_spent_budget_hands_the_rest_on_and_handovers_never_duplicate(world: World) -> None:
    # Given 60 due tasks in one time-ordered index, swept five to a page by workers that get
    # one page each
    now = datetime(2026, 12, 10, 9, tzinfo=UTC)
    put_items_into_moto(due_task_items(60, 60, now, "acme"))
    queue = ListHandover()
    sweeper = world.sweeper(handover=queue, page_size=5)

    # When the schedule fans out, and every work item (continuations included) runs with a budget of one
    # page; each item is delivered twice, as SQS may do
    first = sweeper.run(now)
    runs, created = 0, 0
    while queue.work:
        work = queue.work.pop(0)
        report = sweeper.sweep_shard(work, PagesBudget(0))
        again = world.sweeper(page_size=5).sweep_shard(work, PagesBudget(0))
        runs += 1
        created += report.created + again.created
        assert work.handovers < 20

    # Then each due task got its reminder exactly once, after several handovers
    assert first.handed_over == 16 and first.created == 0
    assert created == 60 == len(reminder_items()) == len(reminder_ids())
    assert runs > 16  # some shards took more than one page: their rest was handed on
    assert {r["status"] for r in reminder_items()} == {"published"}


def test_the_sweep_makes_at_most_one_and_a_half_requests_per_due_task(world: World) -> None:
    # Given 400 due tasks among 1,200
    now = datetime(2026, 12, 10, 9, tzinfo=UTC)
    put_items_into_moto(due_task_items(1_200, 400, now, "acme"))

    # When
    with count_items_read() as reads:
        report = world.sweep(now)

    # Then: per shard page one Query, two BatchGetItem (bundles, existing reminders), one or two
    # transactions of reminders + index moves, one of publish marks; plus a fixed five (publish queue,
    # pending uploads, schedules)
    assert report.tasks_examined == 400 and report.created == 400 and report.published == 400
    assert reads.requests <= 1.5 * 400, reads.requests
    assert reads.requests <= 16 * 6 + 5, reads.requests


def test_the_item_level_rollback_keeps_transactions_all_or_nothing(world: World) -> None:
    # Given an existing item
    from botocore.exceptions import ClientError

    from workengine.dal.aws import client
    from workengine.settings import get_settings

    dynamodb, table = client("dynamodb"), get_settings().table_name
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "x"}, "sk": {"S": "1"}, "n": {"N": "1"}})

    # When a transaction updates it, creates another and then fails a condition
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "x"}, "sk": {"S": "1"}},
                        "UpdateExpression": "SET n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Put": {"TableName": table, "Item": {"pk": {"S": "y"}, "sk": {"S": "1"}}}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "x"}, "sk": {"S": "2"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )

    # Then nothing of it is visible
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": "x"}, "sk": {"S": "1"}})["Item"]
    assert item["n"] == {"N": "1"}
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "y"}, "sk": {"S": "1"}})
