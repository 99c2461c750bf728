"""The sweep's due tasks in the single table: pages of the ``gsi_due`` index, the bundles of a page, which
of their reminders exist, and the batch that creates reminders and moves each task to its next place."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workengine.dal import due_index
from workengine.dal import table as t
from workengine.dal.codec import item_to_entity
from workengine.dal.conditional_batch import Operation, write_conditional_batch
from workengine.dal.items import reminder_item
from workengine.dal.reads import TableReader
from workengine.domain.entities import Bundle, Reminder, Task
from workengine.domain.paging import Cursor


@dataclass(frozen=True)
class TaskSweepWrite:
    """What the sweep writes for one due task: its new reminders, then its next place in the index."""

    task: Task
    reminders: list[Reminder]
    next_at: datetime | None


@dataclass
class SweepWriteOutcome:
    created: list[Reminder] = field(default_factory=list)
    moved: int = 0
    requests: int = 0


def reminder_identity(reminder: Reminder) -> tuple[str, str, str]:
    """A reminder's identity across tenants: its ID is unique within its tenant only."""
    return (reminder.tenant_id, reminder.bundle_id, reminder.reminder_id)


class DynamoDueTaskRepository:
    """Raises ServiceUnavailableError when DynamoDB throttles past the client's retries, or a concurrent
    transaction holds an item of a sweep batch."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._reader = TableReader(client, table_name)

    def due_task_page(
        self, shard: int, now: datetime, cursor: Cursor | None, limit: int
    ) -> tuple[list[Task], Cursor | None]:
        """One Query page (at most ``limit``) of open tasks of ``shard`` whose next reminder time is
        ``<= now``, oldest first, from the start of the shard or after ``cursor``; and the cursor of the
        next page (None after the last)."""
        items, next_cursor = self._reader.query_page(
            cursor,
            **due_index.due_query(due_index.task_due_pk(shard), due_index.upper_bound(now)),
            Limit=limit,
        )
        return [item_to_entity(item, Task) for item in items], next_cursor

    def get_bundles(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Bundle]:
        """Bundles by (tenant_id, bundle_id) with BatchGetItem; missing ones are left out."""
        wanted = [(t.bundle_pk(tenant, bundle), t.BUNDLE_SK) for tenant, bundle in sorted(set(keys))]
        bundles = (item_to_entity(item, Bundle) for item in self._reader.batch_get(wanted))
        return {(bundle.tenant_id, bundle.bundle_id): bundle for bundle in bundles}

    def existing_reminders(self, reminders: Sequence[Reminder]) -> set[tuple[str, str, str]]:
        """Which of these reminders are stored already, as ``(tenant_id, bundle_id, reminder_id)``
        (BatchGetItem, 100 keys a request): the sweep re-derives every reminder a task should have, and
        most of a rerun's already exist. Reminder IDs are unique within a tenant only (an import into
        another tenant keeps them), so the tenant and bundle are part of the answer."""
        keys = [
            (t.bundle_pk(r.tenant_id, r.bundle_id), f"{t.REMINDER_SK_PREFIX}{r.reminder_id}")
            for r in {reminder_identity(r): r for r in reminders}.values()
        ]
        return {
            (
                item["tenant_id"]["S"],
                item["bundle_id"]["S"],
                item["sk"]["S"].removeprefix(t.REMINDER_SK_PREFIX),
            )
            for item in self._reader.batch_get(keys, consistent=True)
        }

    def write_sweep_batch(self, writes: Sequence[TaskSweepWrite]) -> SweepWriteOutcome:
        """Creates the reminders (each only if its ID is absent) and moves each task in the due index to
        ``next_at`` (out of it when None) without touching its ``version``, in transactions of up to 100
        operations. A task's reminders and its move share one transaction, the move last, so a task never
        leaves its place before its reminders exist. A move conditioned on ``version = :seen`` yields to
        a concurrent user change (that write re-derives the index keys itself).

        Raises ServiceUnavailableError when DynamoDB throttles or a concurrent transaction holds an item
        (the next sweep or handover redoes the batch; every write is conditional)."""
        groups = [
            [
                *(Operation({"Put": self._new_reminder_put(r)}, _reminder_tag(r)) for r in w.reminders),
                Operation({"Update": self._task_move(w.task, w.next_at)}, _task_tag(w.task)),
            ]
            for w in writes
        ]
        outcome = write_conditional_batch(self._client, self._table, groups)
        written = set(outcome.written)
        return SweepWriteOutcome(
            created=[r for w in writes for r in w.reminders if _reminder_tag(r) in written],
            moved=sum(1 for w in writes if _task_tag(w.task) in written),
            requests=outcome.requests,
        )

    def _new_reminder_put(self, reminder: Reminder) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Item": reminder_item(reminder),
            "ConditionExpression": "attribute_not_exists(#pk)",
            "ExpressionAttributeNames": {"#pk": t.PK},
        }

    def _task_move(self, task: Task, next_at: datetime | None) -> dict[str, Any]:
        key = {
            t.PK: {"S": t.bundle_pk(task.tenant_id, task.bundle_id)},
            t.SK: {"S": t.task_sk(task.task_id)},
        }
        names = {"#pk": t.PK, "#version": "version", "#dpk": due_index.DUE_PK, "#dsk": due_index.DUE_SK}
        values: dict[str, Any] = {":seen": {"N": str(task.version)}}
        if next_at is None:
            update = "REMOVE #dpk, #dsk"
        else:
            keys = due_index.task_due_keys(task.tenant_id, task.task_id, next_at)
            update = "SET #dpk = :dpk, #dsk = :dsk"
            values[":dpk"] = {"S": keys[due_index.DUE_PK]}
            values[":dsk"] = {"S": keys[due_index.DUE_SK]}
        return {
            "TableName": self._table,
            "Key": key,
            "UpdateExpression": update,
            "ConditionExpression": "attribute_exists(#pk) AND #version = :seen",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }


def _reminder_tag(reminder: Reminder) -> str:
    return "r" + "#".join(reminder_identity(reminder))


def _task_tag(task: Task) -> str:
    return f"t{task.tenant_id}#{task.bundle_id}#{task.task_id}"
