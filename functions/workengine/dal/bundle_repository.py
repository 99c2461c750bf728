"""Bundles, tasks, comments and audit events in the single table."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from botocore.exceptions import ClientError

from workengine.dal import due_index
from workengine.dal import table as t
from workengine.dal.codec import AttributeMap, item_to_entity
from workengine.dal.items import (
    DEFINITION_CONTENT_ATTRIBUTE,
    audit_event_from_item,
    audit_event_item,
    bundle_item,
    comment_item,
    definition_item,
    definition_keys,
    reminder_item,
    task_item,
)
from workengine.dal.job_repository import read_bundle_jobs
from workengine.dal.reads import TableReader
from workengine.dal.transactions import (
    TRANSACTION_ITEM_LIMIT,
    WriteTransaction,
    bundle_ref,
    commit,
    task_ref,
    translate_transaction_error,
)
from workengine.domain.entities import (
    AssistantJob,
    AuditEvent,
    Bundle,
    Comment,
    PinnedDefinition,
    Reminder,
    Task,
)
from workengine.domain.enums import EntityType
from workengine.domain.errors import NotFoundError
from workengine.domain.paging import Cursor, Page
from workengine.observability import logger
from workengine.retries import resend_leftovers


def _awake_filter(awake_at: datetime, names: dict[str, str], values: dict[str, Any]) -> str:
    """Filter clause leaving out tasks snoozed beyond ``awake_at``. ``snoozed_until`` is stored as a
    whole-second ISO string or null, so a later string is a later time and null never compares."""
    names["#snoozed"] = "snoozed_until"
    values[":awake"] = {"S": awake_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    return "NOT (#snoozed > :awake)"


@dataclass(frozen=True)
class BundleSnapshot:
    """A bundle and its tasks as one read saw them; ``revision`` counts the task writes of the bundle."""

    bundle: Bundle
    tasks: list[Task]
    revision: int


class DynamoBundleRepository:
    """Reads with GetItem/Query only; writes with TransactWriteItems conditioned on ``version``.

    Raises NotFoundError for unknown (or other tenants') IDs, VersionConflictError when a condition
    fails, ServiceUnavailableError when DynamoDB throttles past the client's retries.
    """

    def __init__(self, client: Any, table_name: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._table = table_name
        self._sleep = sleep
        self._reader = TableReader(client, table_name, sleep=sleep)

    # ---- reads ------------------------------------------------------------------------------------
    def get_bundle(self, tenant_id: str, bundle_id: str) -> Bundle:
        item = self._reader.get(t.bundle_pk(tenant_id, bundle_id), t.BUNDLE_SK)
        if item is None:
            raise NotFoundError("bundle", bundle_id)
        return item_to_entity(item, Bundle)

    def get_bundle_with_tasks(self, tenant_id: str, bundle_id: str) -> tuple[Bundle, list[Task]]:
        """One Query (more only past 1 MB): the bundle item and its tasks share a partition and prefix."""
        snapshot = self.read_bundle(tenant_id, bundle_id)
        return snapshot.bundle, snapshot.tasks

    def read_bundle(self, tenant_id: str, bundle_id: str) -> BundleSnapshot:
        """The bundle, its tasks and its tasks revision, read together by one strongly consistent Query
        (more only past 1 MB); pass it as ``guard`` to ``save_changes`` to write against what was read."""
        bundle: Bundle | None = None
        revision = 0
        tasks: list[Task] = []
        pk = t.bundle_pk(tenant_id, bundle_id)
        for item in self._reader.query_prefix(pk, t.BUNDLE_SK, consistent=True):
            if item[t.SK]["S"] == t.BUNDLE_SK:
                bundle = item_to_entity(item, Bundle)
                revision = int(item.get(t.TASKS_REVISION, {}).get("N", "0"))
            else:
                tasks.append(item_to_entity(item, Task))
        if bundle is None:
            raise NotFoundError("bundle", bundle_id)
        tasks.sort(key=lambda task: task.position)
        return BundleSnapshot(bundle, tasks, revision)

    def list_jobs(self, tenant_id: str, bundle_id: str) -> list[AssistantJob]:
        """The bundle's assistant jobs (their outputs feed conditions): one Query of its partition."""
        return read_bundle_jobs(self._reader, tenant_id, bundle_id)

    def get_definition(
        self, tenant_id: str, template_id: str, template_version: str
    ) -> PinnedDefinition | None:
        """The pinned definition by one GetItem, or None when it was never stored."""
        keys = definition_keys(tenant_id, template_id, template_version)
        item = self._reader.get(str(keys[t.PK]), str(keys[t.SK]))
        return None if item is None else item_to_entity(item, PinnedDefinition)

    def bundles_due_for_conditions(self, now: datetime) -> Iterator[tuple[str, str]]:
        """(tenant_id, bundle_id) of active bundles whose time-dependent conditions are due by ``now``:
        one Query per shard of the sparse sweep index, paged."""
        for shard in range(due_index.CONDITION_SHARDS):
            for item in self._reader.query_all(
                IndexName=t.GSI_DUE,
                KeyConditionExpression="#pk = :pk AND #sk <= :upper",
                ExpressionAttributeNames={"#pk": due_index.DUE_PK, "#sk": due_index.DUE_SK},
                ExpressionAttributeValues={
                    ":pk": {"S": due_index.condition_pk(shard)},
                    ":upper": {"S": due_index.upper_bound(now)},
                },
            ):
                yield item["tenant_id"]["S"], item["bundle_id"]["S"]

    def find_task(self, tenant_id: str, task_id: str) -> Task:
        item = self._reader.find_by_id(tenant_id, task_id, EntityType.TASK)
        if item is None:
            raise NotFoundError("task", task_id)
        return item_to_entity(item, Task)

    def list_tasks_for_assignee(
        self,
        tenant_id: str,
        assignee: str,
        *,
        status: str | None,
        due_before: date | None,
        limit: int,
        cursor: Cursor | None,
        awake_at: datetime | None = None,
    ) -> Page[Task]:
        """The assignee index (sort key ``status#due#task``): a status, with or without a due date, is a
        key condition; a due date without a status, and ``awake_at`` (leave out tasks snoozed beyond
        that time), are filters, and a filtered page is filled up to ``limit`` within the read budget
        of ``TableReader.query_filled_page``."""
        names = {"#pk": "gsi_assignee_pk"}
        values: dict[str, Any] = {":pk": {"S": t.assignee_pk(tenant_id, assignee)}}
        condition = "#pk = :pk"
        filters: list[str] = []
        if status:
            names["#sk"] = "gsi_assignee_sk"
        if status and due_before:
            # tasks without a due date sort under NO_DUE_DATE, after any real bound
            condition += " AND #sk BETWEEN :lower AND :upper"
            values[":lower"] = {"S": f"{status}#"}
            values[":upper"] = {"S": f"{status}#{due_before.isoformat()}"}
        elif status:
            condition += " AND begins_with(#sk, :status)"
            values[":status"] = {"S": f"{status}#"}
        elif due_before:
            filters.append("attribute_exists(due_date) AND due_date < :due")
            values[":due"] = {"S": due_before.isoformat()}
        if awake_at is not None:
            filters.append(_awake_filter(awake_at, names, values))
        query: dict[str, Any] = {
            "IndexName": t.GSI_ASSIGNEE,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if filters:
            query["FilterExpression"] = " AND ".join(f"({clause})" for clause in filters)
            items, next_cursor = self._reader.query_filled_page(cursor, limit, **query)
        else:
            items, next_cursor = self._reader.query_page(cursor, Limit=limit, **query)
        return Page(items=[item_to_entity(item, Task) for item in items], cursor=next_cursor)

    def list_tasks_escalated_to(
        self,
        tenant_id: str,
        user_id: str,
        *,
        limit: int,
        cursor: Cursor | None,
        awake_at: datetime | None = None,
    ) -> Page[Task]:
        """One Query on the escalation partition of the bundles index, oldest escalation first."""
        names = {"#pk": "gsi_bundles_pk"}
        values: dict[str, Any] = {":pk": {"S": t.escalated_pk(tenant_id, user_id)}}
        query: dict[str, Any] = {
            "IndexName": t.GSI_BUNDLES,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if awake_at is not None:
            query["FilterExpression"] = _awake_filter(awake_at, names, values)
            items, next_cursor = self._reader.query_filled_page(cursor, limit, **query)
        else:
            items, next_cursor = self._reader.query_page(cursor, Limit=limit, **query)
        return Page(items=[item_to_entity(item, Task) for item in items], cursor=next_cursor)

    def list_bundles(
        self,
        tenant_id: str,
        *,
        status: str | None,
        template_id: str | None,
        limit: int,
        cursor: Cursor | None,
    ) -> Page[Bundle]:
        """Newest first. One Query: by template (and status) on the template index, else by status."""
        if template_id:
            index, pk_name, sk_name = t.GSI_TEMPLATE, "gsi_template_pk", "gsi_template_sk"
            pk_value = t.template_pk(tenant_id, template_id)
        else:
            index, pk_name, sk_name = t.GSI_BUNDLES, "gsi_bundles_pk", "gsi_bundles_sk"
            pk_value = t.bundles_pk(tenant_id)
        condition = "#pk = :pk"
        names = {"#pk": pk_name}
        values: dict[str, Any] = {":pk": {"S": pk_value}}
        if status:
            condition += " AND begins_with(#sk, :status)"
            names["#sk"] = sk_name
            values[":status"] = {"S": f"{status}#"}
        items, next_cursor = self._reader.query_page(
            cursor,
            IndexName=index,
            KeyConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            Limit=limit,
            ScanIndexForward=False,
        )
        return Page(items=[item_to_entity(item, Bundle) for item in items], cursor=next_cursor)

    def list_events(
        self, tenant_id: str, bundle_id: str, *, limit: int, cursor: Cursor | None
    ) -> Page[AuditEvent]:
        items, next_cursor = self._reader.query_page(
            cursor,
            KeyConditionExpression="#pk = :pk AND begins_with(#sk, :prefix)",
            ExpressionAttributeNames={"#pk": t.PK, "#sk": t.SK},
            ExpressionAttributeValues={
                ":pk": {"S": t.bundle_pk(tenant_id, bundle_id)},
                ":prefix": {"S": t.EVENT_SK_PREFIX},
            },
            Limit=limit,
        )
        return Page(items=[audit_event_from_item(item) for item in items], cursor=next_cursor)

    def list_comments(self, tenant_id: str, bundle_id: str, task_id: str) -> list[Comment]:
        prefix = f"{t.COMMENT_SK_PREFIX}{task_id}#"
        return [
            item_to_entity(item, Comment)
            for item in self._reader.query_prefix(t.bundle_pk(tenant_id, bundle_id), prefix)
        ]

    # ---- writes -----------------------------------------------------------------------------------
    def _new_transaction(self) -> WriteTransaction:
        return WriteTransaction(self._table)

    def _commit(self, transaction: WriteTransaction) -> None:
        commit(self._client, transaction)

    def create_bundle(
        self,
        bundle: Bundle,
        tasks: Sequence[Task],
        event: AuditEvent,
        pin: PinnedDefinition | None = None,
        *,
        reminders: Sequence[Reminder] = (),
    ) -> None:
        """Bundle + tasks + audit event (+ the pinned definition when given, put if absent, and the
        reminders the creation causes), atomically when they fit one transaction.

        Larger bundles write tasks in chunks first and the bundle item last, so no reader ever sees a
        bundle without all its tasks; a failed chunk removes the tasks already written.
        """
        task_items = [task_item(task) for task in tasks]
        head_capacity = TRANSACTION_ITEM_LIMIT - 2 - (1 if pin else 0) - len(reminders)
        written: list[AttributeMap] = []
        try:
            while len(task_items) > head_capacity:
                chunk, task_items = task_items[:TRANSACTION_ITEM_LIMIT], task_items[TRANSACTION_ITEM_LIMIT:]
                transaction = self._new_transaction()
                for item in chunk:
                    transaction.put_new(item, "task")
                self._commit(transaction)
                written.extend(chunk)
            transaction = self._new_transaction()
            transaction.put_new(bundle_item(bundle), bundle_ref(bundle.bundle_id))
            for item in task_items:
                transaction.put_new(item, "task")
            transaction.put_new(audit_event_item(event), "audit_event")
            if pin is not None:
                transaction.put_immutable(definition_item(pin), DEFINITION_CONTENT_ATTRIBUTE, "definition")
            _put_reminders(transaction, reminders)
            self._commit(transaction)
        except Exception:
            self._remove(written)
            raise

    def _remove(self, items: list[AttributeMap]) -> None:
        """Delete items written before a failed create, 25 per BatchWriteItem; ``UnprocessedItems`` are
        sent again after a jittered backoff. Whatever is still left is logged, not raised: the caller is
        already raising the failure that made the cleanup necessary."""

        def send(request: dict[str, Any]) -> dict[str, Any] | None:
            response = self._client.batch_write_item(RequestItems=request)
            return response.get("UnprocessedItems") or None

        for start in range(0, len(items), 25):
            batch = items[start : start + 25]
            deletes = [{"DeleteRequest": {"Key": {t.PK: item[t.PK], t.SK: item[t.SK]}}} for item in batch]
            left = resend_leftovers(send, {self._table: deletes}, sleep=self._sleep)
            if left:
                logger.error(
                    "items of a failed bundle create were not removed",
                    extra={"unremoved": len(left.get(self._table, []))},
                )

    def save_changes(
        self,
        *,
        bundle: tuple[Bundle, int] | None = None,
        tasks: Sequence[tuple[Task, int]] = (),
        new_comments: Sequence[Comment] = (),
        events: Sequence[AuditEvent] = (),
        reminders: Sequence[Reminder] = (),
        guard: BundleSnapshot | None = None,
    ) -> None:
        """One transaction: each (entity, expected_version) is written only if its stored version still
        equals expected_version; comments, audit events and the reminders the change causes are new items.

        With ``guard`` (the read the change was derived from) the bundle item is conditioned on the
        version and tasks revision that read saw, and its revision is bumped: a concurrent write of any
        other task of the bundle makes one of the two fail with TransactionConflict labelled
        ``bundle:<id>``, so progress is never derived from a stale view of the siblings."""
        transaction = self._new_transaction()
        for task, expected in tasks:
            transaction.put_versioned(task_item(task), expected, task_ref(task.task_id))
        if guard is not None:
            label = bundle_ref(guard.bundle.bundle_id)
            if bundle is not None:
                transaction.put_guarded(bundle_item(bundle[0]), bundle[1], guard.revision, label)
            else:
                key = {t.PK: {"S": t.bundle_pk(guard.bundle.tenant_id, guard.bundle.bundle_id)}}
                key[t.SK] = {"S": t.BUNDLE_SK}
                transaction.advance_revision(key, guard.bundle.version, guard.revision, label)
        elif bundle is not None:
            transaction.put_versioned(bundle_item(bundle[0]), bundle[1], bundle_ref(bundle[0].bundle_id))
        for comment in new_comments:
            transaction.put_new(comment_item(comment), "comment")
        for event in events:
            transaction.put_new(audit_event_item(event), "audit_event")
        _put_reminders(transaction, reminders)
        try:
            self._commit(transaction)
        except ClientError as exc:  # pragma: no cover - commit already translates
            raise translate_transaction_error(exc, transaction) from exc


def _put_reminders(transaction: WriteTransaction, reminders: Sequence[Reminder]) -> None:
    """New reminders, written with the change that causes them (a retry recomputes the same IDs)."""
    for reminder in reminders:
        transaction.put_new(reminder_item(reminder), f"reminder:{reminder.reminder_id}")
