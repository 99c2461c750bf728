"""Reminders in the single table (bundle partition, sk ``R#<id>``): created once under a deterministic
ID, listed per bundle or tenant, changed by people, and published from the ``gsi_due`` publish queue.
The sweep's batch that creates reminders with the moves of due tasks is ``due_task_repository``'s."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from workengine.dal import due_index
from workengine.dal import table as t
from workengine.dal.codec import item_to_entity, serialize
from workengine.dal.conditional_batch import Operation, write_conditional_batch
from workengine.dal.conditional_write import write_if
from workengine.dal.items import reminder_item
from workengine.dal.reads import TableReader
from workengine.domain.entities import Reminder, utc_iso
from workengine.domain.enums import EntityType, ReminderKind, ReminderStatus
from workengine.domain.errors import NotFoundError, VersionConflictError
from workengine.domain.paging import Cursor, Page

_UNPUBLISHED = (ReminderStatus.PENDING.value, ReminderStatus.PUBLISH_FAILED.value)


class DynamoReminderRepository:
    """Raises NotFoundError for unknown (or other tenants') IDs, VersionConflictError when a versioned
    write loses, ServiceUnavailableError when DynamoDB throttles past the client's retries."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._reader = TableReader(client, table_name)

    def put_new_reminder(self, reminder: Reminder) -> bool:
        """Create the reminder unless its (deterministic) ID exists; True when it was created."""
        return write_if(
            self._client,
            self._table,
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
            cursor, **due_index.due_query(due_index.publish_pk(shard), None), Limit=limit
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
        written = write_if(
            self._client,
            self._table,
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
