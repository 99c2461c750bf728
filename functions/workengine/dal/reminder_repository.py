"""Reminders, the sweep's due index and tenant schedules in the single table (Query/GetItem only)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from workengine.dal import due_index
from workengine.dal import table as t
from workengine.dal.codec import AttributeMap, item_to_entity, serialize
from workengine.dal.conditional_batch import Operation, write_conditional_batch
from workengine.dal.items import reminder_item, schedule_item
from workengine.dal.reads import TableReader, call_dynamodb
from workengine.domain.entities import Bundle, Reminder, Task, utc_iso
from workengine.domain.enums import EntityType, ReminderKind, ReminderStatus
from workengine.domain.errors import NotFoundError, VersionConflictError
from workengine.domain.paging import Cursor, Page
from workengine.domain.schedules import Schedule

_CONDITION_FAILED = "ConditionalCheckFailedException"
_UNPUBLISHED = (ReminderStatus.PENDING.value, ReminderStatus.PUBLISH_FAILED.value)


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


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class DynamoReminderRepository:
    """Raises NotFoundError for unknown (or other tenants') IDs, VersionConflictError when a versioned
    write loses, ServiceUnavailableError when DynamoDB throttles past the client's retries."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._reader = TableReader(client, table_name)

    # ---- plumbing ---------------------------------------------------------------------------------
    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        """A single-item write; throttling becomes ServiceUnavailableError, other errors pass through."""
        return call_dynamodb(self._client, operation, TableName=self._table, **kwargs)

    def _conditional(self, operation: str, **kwargs: Any) -> bool:
        """True when written, False when the condition did not hold."""
        try:
            self._call(operation, **kwargs)
        except ClientError as exc:
            if _code(exc) == _CONDITION_FAILED:
                return False
            raise
        return True

    @staticmethod
    def _index_query(partition: str, upper: str | None) -> dict[str, Any]:
        condition = "#pk = :pk"
        values: dict[str, Any] = {":pk": {"S": partition}}
        names = {"#pk": due_index.DUE_PK}
        if upper is not None:
            condition += " AND #sk <= :upper"
            names["#sk"] = due_index.DUE_SK
            values[":upper"] = {"S": upper}
        return {
            "IndexName": t.GSI_DUE,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }

    def _index_items(self, partition: str, upper: str | None) -> Iterator[AttributeMap]:
        yield from self._reader.query_all(**self._index_query(partition, upper))

    # ---- the sweep's due tasks --------------------------------------------------------------------
    def due_task_page(
        self, shard: int, now: datetime, cursor: Cursor | None, limit: int
    ) -> tuple[list[Task], Cursor | None]:
        """One Query page (at most ``limit``) of open tasks of ``shard`` whose next reminder time is
        ``<= now``, oldest first, from the start of the shard or after ``cursor``; and the cursor of the
        next page (None after the last)."""
        items, next_cursor = self._reader.query_page(
            cursor,
            **self._index_query(due_index.task_due_pk(shard), due_index.upper_bound(now)),
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

    # ---- reminders --------------------------------------------------------------------------------
    def put_new_reminder(self, reminder: Reminder) -> bool:
        """Create the reminder unless its (deterministic) ID exists; True when it was created."""
        return self._conditional(
            "put_item",
            Item=reminder_item(reminder),
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": t.PK},
        )

    def unpublished_page(
        self, shard: int, cursor: Cursor | None, limit: int
    ) -> tuple[list[Reminder], Cursor | None]:
        """One page of the publish queue (reminders still ``pending`` or ``publish_failed``) of ``shard``,
        oldest first."""
        items, next_cursor = self._reader.query_page(
            cursor, **self._index_query(due_index.publish_pk(shard), None), Limit=limit
        )
        return [item_to_entity(item, Reminder) for item in items], next_cursor

    @staticmethod
    def _reminder_key(reminder: Reminder) -> dict[str, Any]:
        return {
            t.PK: {"S": t.bundle_pk(reminder.tenant_id, reminder.bundle_id)},
            t.SK: {"S": f"{t.REMINDER_SK_PREFIX}{reminder.reminder_id}"},
        }

    def mark_publish_results(
        self, published: Sequence[Reminder], failed: Sequence[tuple[Reminder, str]], now: datetime
    ) -> int:
        """Published reminders become ``published`` and leave the publish queue (one acknowledged or
        published meanwhile keeps its status and just leaves the queue); failed ones become
        ``publish_failed`` and stay queued for the next sweep. Transactions of up to 100 updates; returns
        the number of requests made. Raises ServiceUnavailableError when DynamoDB throttles."""
        groups = [[Operation({"Update": self._published_update(r, now)}, r.reminder_id)] for r in published]
        groups += [[Operation({"Update": self._failed_update(r, error, now)}, "")] for r, error in failed]
        outcome = write_conditional_batch(self._client, self._table, groups)
        by_id = {r.reminder_id: r for r in published}
        settled = [by_id[tag] for tag in outcome.condition_failed if tag in by_id]
        leave = write_conditional_batch(
            self._client,
            self._table,
            [[Operation({"Update": self._leave_publish_queue(r)}, r.reminder_id)] for r in settled],
        )
        return outcome.requests + leave.requests

    def _published_update(self, reminder: Reminder, now: datetime) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Key": self._reminder_key(reminder),
            "UpdateExpression": "SET #status = :published, #updated = :now, #version = #version + :one "
            "REMOVE #dpk, #dsk",
            "ConditionExpression": "#status IN (:pending, :failed)",
            "ExpressionAttributeNames": {
                "#status": "status",
                "#updated": "updated_at",
                "#version": "version",
                "#dpk": due_index.DUE_PK,
                "#dsk": due_index.DUE_SK,
            },
            "ExpressionAttributeValues": {
                ":pending": {"S": _UNPUBLISHED[0]},
                ":failed": {"S": _UNPUBLISHED[1]},
                ":published": {"S": ReminderStatus.PUBLISHED.value},
                ":now": {"S": utc_iso(now)},
                ":one": {"N": "1"},
            },
        }

    def _failed_update(self, reminder: Reminder, error: str, now: datetime) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Key": self._reminder_key(reminder),
            "UpdateExpression": "SET #status = :failed, #updated = :now, publish_error = :error",
            "ConditionExpression": "#status IN (:pending, :failed)",
            "ExpressionAttributeNames": {"#status": "status", "#updated": "updated_at"},
            "ExpressionAttributeValues": {
                ":pending": {"S": _UNPUBLISHED[0]},
                ":failed": {"S": _UNPUBLISHED[1]},
                ":now": {"S": utc_iso(now)},
                ":error": {"S": error[:500]},
            },
        }

    def _leave_publish_queue(self, reminder: Reminder) -> dict[str, Any]:
        """Drops the queue keys of a reminder that exists (an Update must never create a stub item)."""
        return {
            "TableName": self._table,
            "Key": self._reminder_key(reminder),
            "UpdateExpression": "REMOVE #dpk, #dsk",
            "ConditionExpression": "attribute_exists(#pk)",
            "ExpressionAttributeNames": {"#pk": t.PK, "#dpk": due_index.DUE_PK, "#dsk": due_index.DUE_SK},
        }

    def list_reminders(
        self,
        tenant_id: str,
        *,
        bundle_id: str | None,
        kind: ReminderKind | None,
        limit: int,
        cursor: Cursor | None,
        recipients: Sequence[str] | None = None,
    ) -> Page[Reminder]:
        """One Query: a bundle's partition (``R#`` prefix), else the tenant listing, newest first.
        ``kind`` and ``recipients`` (any of them) filter the listing; the page is filled up to ``limit``
        within the read budget of ``TableReader.query_filled_page``."""
        extra: dict[str, Any] = {}
        values: dict[str, Any] = {}
        if bundle_id:
            names = {"#pk": t.PK, "#sk": t.SK}
            condition = "#pk = :pk AND begins_with(#sk, :prefix)"
            values[":pk"] = {"S": t.bundle_pk(tenant_id, bundle_id)}
            values[":prefix"] = {"S": t.REMINDER_SK_PREFIX}
        else:
            names = {"#pk": "gsi_template_pk"}
            condition = "#pk = :pk"
            values[":pk"] = {"S": due_index.reminders_list_pk(tenant_id)}
            extra = {"IndexName": t.GSI_TEMPLATE, "ScanIndexForward": False}
        filters = []
        if kind is not None:
            names["#kind"] = "kind"
            values[":kind"] = {"S": kind.value}
            filters.append("#kind = :kind")
        if recipients:
            names["#recipient"] = "recipient"
            placeholders = []
            for index, recipient in enumerate(recipients):
                values[f":recipient{index}"] = {"S": recipient}
                placeholders.append(f":recipient{index}")
            filters.append(f"#recipient IN ({', '.join(placeholders)})")
        query = {
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            **extra,
        }
        if filters:
            query["FilterExpression"] = " AND ".join(filters)
            items, next_cursor = self._reader.query_filled_page(cursor, limit, **query)
        else:
            items, next_cursor = self._reader.query_page(cursor, Limit=limit, **query)
        return Page(items=[item_to_entity(item, Reminder) for item in items], cursor=next_cursor)

    def find_reminder(self, tenant_id: str, reminder_id: str) -> Reminder:
        item = self._reader.find_by_id(tenant_id, reminder_id, EntityType.REMINDER)
        if item is None:
            raise NotFoundError("reminder", reminder_id)
        return item_to_entity(item, Reminder)

    def save_reminder(self, reminder: Reminder, expected_version: int) -> None:
        """Stores a person's change (status, details) if the stored version is still ``expected_version``.
        An update of just those fields, not a replace: the notifier's delivery bookkeeping on the same item
        (``deliveries``, ``email_state``) is kept whatever it wrote meanwhile."""
        written = self._conditional(
            "update_item",
            Key=self._reminder_key(reminder),
            # Its only due-index entry is the publish queue, which an acknowledged reminder leaves.
            UpdateExpression="SET #status = :status, #details = :details, #version = :version, "
            "#updated = :updated REMOVE #dpk, #dsk",
            ConditionExpression="attribute_exists(#pk) AND #version = :expected",
            ExpressionAttributeNames={
                "#pk": t.PK,
                "#version": "version",
                "#status": "status",
                "#details": "details",
                "#updated": "updated_at",
                "#dpk": due_index.DUE_PK,
                "#dsk": due_index.DUE_SK,
            },
            ExpressionAttributeValues=serialize(
                {
                    ":expected": expected_version,
                    ":status": reminder.status.value,
                    ":details": reminder.details,
                    ":version": reminder.version,
                    ":updated": utc_iso(reminder.updated_at or reminder.created_at),
                }
            ),
        )
        if not written:
            raise VersionConflictError(
                "the reminder was changed by someone else; reload it and retry",
                {"expected_version": expected_version},
            )

    # ---- schedules --------------------------------------------------------------------------------
    def get_schedule(self, tenant_id: str, template_id: str) -> Schedule | None:
        item = self._reader.get(t.tenant_pk(tenant_id, t.SCHEDULES_COLLECTION), f"S#{template_id}")
        return item_to_entity(item, Schedule) if item is not None else None

    def list_schedules(self, tenant_id: str) -> list[Schedule]:
        return [
            item_to_entity(item, Schedule)
            for item in self._reader.query_prefix(t.tenant_pk(tenant_id, t.SCHEDULES_COLLECTION), "S#")
        ]

    def save_schedule(self, schedule: Schedule, expected_version: int | None) -> None:
        """New when ``expected_version`` is None, else versioned; raises VersionConflictError."""
        if expected_version is None:
            condition, values = "attribute_not_exists(#pk)", None
        else:
            condition = "attribute_exists(#pk) AND #version = :expected"
            values = serialize({":expected": expected_version})
        kwargs: dict[str, Any] = {
            "Item": schedule_item(schedule),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#pk": t.PK, **({"#version": "version"} if values else {})},
        }
        if values:
            kwargs["ExpressionAttributeValues"] = values
        if not self._conditional("put_item", **kwargs):
            raise VersionConflictError(
                "the schedule was changed by someone else; retry",
                {"template_id": schedule.template_id, "expected_version": expected_version},
            )

    def due_schedules(self, now: datetime) -> list[Schedule]:
        """Enabled schedules of every tenant whose next occurrence is ``<= now``."""
        return [
            item_to_entity(item, Schedule)
            for item in self._index_items(due_index.SCHEDULES_PARTITION, due_index.upper_bound(now))
        ]


def reminder_identity(reminder: Reminder) -> tuple[str, str, str]:
    """A reminder's identity across tenants: its ID is unique within its tenant only."""
    return (reminder.tenant_id, reminder.bundle_id, reminder.reminder_id)


def _reminder_tag(reminder: Reminder) -> str:
    return "r" + "#".join(reminder_identity(reminder))


def _task_tag(task: Task) -> str:
    return f"t{task.tenant_id}#{task.bundle_id}#{task.task_id}"
