"""Notification preferences, email delivery state on reminders, deferred deliveries and the digest index.

Layout (single table, no Scan):

- preferences: ``T#<tenant>#PREFERENCES`` / ``P#<user_id>``; with ``digest: daily`` the item also sits in
  the due index under ``DIGEST#<shard>`` at its next digest time (``due_index.digest_keys``).
- a reminder's email: the storage attribute ``email_state`` on the reminder item (absent → claimed →
  sent | failed; or muted; or deferred → claimed → ...) and the public ``deliveries`` list, appended with
  ``list_append`` (no version bump: an acknowledge never conflicts with the notifier).
- an email held back by quiet hours: ``T#<tenant>#DEFERRED`` / ``N#<bundle_id>#<reminder_id>``, in the
  due index under ``NOTIFY#<shard>`` at the end of the quiet hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from workengine.dal import due_index
from workengine.dal import table as t
from workengine.dal.codec import AttributeMap, deserialize, entity_to_item, item_to_entity, serialize
from workengine.dal.conditional_write import write_if
from workengine.dal.reads import TableReader, call_dynamodb
from workengine.dal.transactions import WriteTransaction, commit
from workengine.domain.entities import Bundle, Reminder, Task, utc_iso
from workengine.domain.enums import EntityType
from workengine.domain.errors import VersionConflictError
from workengine.domain.paging import Cursor
from workengine.domain.preferences import Delivery, Digest, NotificationPreferences

PREFERENCES_ENTITY = "notification_preferences"
DEFERRED_ENTITY = "deferred_delivery"


class EmailState(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    MUTED = "muted"
    DEFERRED = "deferred"
    FAILED = "failed"


@dataclass(frozen=True)
class DeferredDelivery:
    tenant_id: str
    bundle_id: str
    reminder_id: str
    deliver_at: datetime


@dataclass(frozen=True)
class ReminderContext:
    """What an email about a reminder names: its task and bundle (when they exist) and the recipient's
    stored preferences (None: the defaults)."""

    task: Task | None
    bundle: Bundle | None
    preferences: NotificationPreferences | None


def preferences_item(preferences: NotificationPreferences) -> AttributeMap:
    keys: dict[str, str | None] = {
        t.PK: t.tenant_pk(preferences.tenant_id, t.PREFERENCES_COLLECTION),
        t.SK: t.preferences_sk(preferences.user_id),
    }
    if preferences.digest is Digest.DAILY and preferences.next_digest_at is not None:
        keys.update(
            due_index.digest_keys(preferences.tenant_id, preferences.user_id, preferences.next_digest_at)
        )
    return entity_to_item(preferences, PREFERENCES_ENTITY, keys)


def _reminder_key(tenant_id: str, bundle_id: str, reminder_id: str) -> AttributeMap:
    return {
        t.PK: {"S": t.bundle_pk(tenant_id, bundle_id)},
        t.SK: {"S": f"{t.REMINDER_SK_PREFIX}{reminder_id}"},
    }


def _deferred_key(tenant_id: str, bundle_id: str, reminder_id: str) -> AttributeMap:
    return {
        t.PK: {"S": t.tenant_pk(tenant_id, t.DEFERRED_COLLECTION)},
        t.SK: {"S": t.deferred_sk(bundle_id, reminder_id)},
    }


class DynamoNotificationRepository:
    """Raises VersionConflictError when a preferences write loses to another, ServiceUnavailableError
    when DynamoDB throttles past the client's retries. Email-state writes answer False instead of raising
    when their condition does not hold (someone else already handled that email)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._reader = TableReader(client, table_name)

    # ---- preferences ------------------------------------------------------------------------------
    def get_preferences(self, tenant_id: str, user_id: str) -> NotificationPreferences | None:
        item = self._reader.get(t.tenant_pk(tenant_id, t.PREFERENCES_COLLECTION), t.preferences_sk(user_id))
        return item_to_entity(item, NotificationPreferences) if item is not None else None

    def save_preferences(self, preferences: NotificationPreferences, expected_version: int) -> None:
        """Stores ``preferences`` (its ``version`` already bumped) if the stored version is still
        ``expected_version`` (0: nothing stored yet). Raises VersionConflictError."""
        if expected_version == 0:
            condition, values = "attribute_not_exists(#pk)", None
        else:
            condition, values = "#version = :expected", serialize({":expected": expected_version})
        kwargs: dict[str, Any] = {
            "Item": preferences_item(preferences),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#pk": t.PK} if values is None else {"#version": "version"},
        }
        if values is not None:
            kwargs["ExpressionAttributeValues"] = values
        if not self._conditional("put_item", **kwargs):
            raise VersionConflictError(
                "the preferences were changed meanwhile; reload them and retry",
                {"expected_version": expected_version},
            )

    def users_with_role(self, tenant_id: str, role: str) -> list[NotificationPreferences]:
        """Everyone of the tenant who saved preferences while holding ``role`` (one partition Query)."""
        return [
            prefs
            for item in self._reader.query_prefix(t.tenant_pk(tenant_id, t.PREFERENCES_COLLECTION), "P#")
            if (prefs := item_to_entity(item, NotificationPreferences)).role == role
        ]

    # ---- what an email needs ----------------------------------------------------------------------
    def reminder_context(self, reminder: Reminder) -> ReminderContext:
        """Task, bundle and the recipient's preferences in one BatchGetItem."""
        bundle_pk = t.bundle_pk(reminder.tenant_id, reminder.bundle_id)
        prefs_key = (
            t.tenant_pk(reminder.tenant_id, t.PREFERENCES_COLLECTION),
            t.preferences_sk(reminder.recipient),
        )
        keys = [(bundle_pk, t.BUNDLE_SK), prefs_key]
        if reminder.task_id:
            keys.append((bundle_pk, t.task_sk(reminder.task_id)))
        task = bundle = prefs = None
        for item in self._reader.batch_get(keys, consistent=True):
            kind = item.get("entity_type", {}).get("S")
            if kind == EntityType.TASK.value:
                task = item_to_entity(item, Task)
            elif kind == EntityType.BUNDLE.value:
                bundle = item_to_entity(item, Bundle)
            elif kind == PREFERENCES_ENTITY:
                prefs = item_to_entity(item, NotificationPreferences)
        return ReminderContext(task=task, bundle=bundle, preferences=prefs)

    def get_reminder(self, tenant_id: str, bundle_id: str, reminder_id: str) -> Reminder | None:
        item = self._reader.get(t.bundle_pk(tenant_id, bundle_id), f"{t.REMINDER_SK_PREFIX}{reminder_id}")
        return item_to_entity(item, Reminder) if item is not None else None

    # ---- a reminder's email -----------------------------------------------------------------------
    def claim_email(self, reminder: Reminder, *, deferred: bool) -> bool:
        """Takes the reminder's email for sending: from no state (the event) or from ``deferred`` (the
        end of quiet hours, which also drops the deferred-delivery item). False when someone else has it
        (a redelivered event, a second sweep) or the reminder is gone."""
        update = self._state_update(reminder, EmailState.CLAIMED, None, deferred=deferred)
        if not deferred:
            return self._conditional("update_item", **update)
        return self._transact(update, delete_deferred=reminder)

    def record(
        self,
        reminder: Reminder,
        state: EmailState,
        delivery: Delivery,
        *,
        expected: EmailState | None,
        defer_until: datetime | None = None,
    ) -> bool:
        """Appends ``delivery`` and moves the email to ``state``, if it is still in ``expected`` (None:
        never touched). With ``defer_until`` a deferred-delivery item is put in the due index at that
        time; leaving ``deferred`` drops it. False when the condition did not hold."""
        update = self._state_update(reminder, state, delivery, expected=expected)
        leaving_deferred = expected is EmailState.DEFERRED and state is not EmailState.DEFERRED
        if defer_until is None and not leaving_deferred:
            return self._conditional("update_item", **update)
        return self._transact(
            update,
            put_deferred=(reminder, defer_until) if defer_until else None,
            delete_deferred=reminder if leaving_deferred else None,
        )

    def release_claim(self, reminder: Reminder, back_to: EmailState | None, retry_at: datetime) -> bool:
        """A send that certainly did not happen (SES throttled): the claim goes back to ``back_to``, so the
        redelivered event (None) or the next sweep (``deferred``, due again at ``retry_at``) takes it."""
        names = {"#state": t.EMAIL_STATE}
        values: dict[str, Any] = {":claimed": {"S": EmailState.CLAIMED.value}}
        if back_to is None:
            expression = "REMOVE #state"
        else:
            expression = "SET #state = :back"
            values[":back"] = {"S": back_to.value}
        update = {
            "TableName": self._table,
            "Key": _reminder_key(reminder.tenant_id, reminder.bundle_id, reminder.reminder_id),
            "UpdateExpression": expression,
            "ConditionExpression": "#state = :claimed",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if back_to is EmailState.DEFERRED:
            return self._transact(update, put_deferred=(reminder, retry_at))
        return self._conditional("update_item", **update)

    def _state_update(
        self,
        reminder: Reminder,
        state: EmailState,
        delivery: Delivery | None,
        *,
        expected: EmailState | None = None,
        deferred: bool | None = None,
    ) -> dict[str, Any]:
        if deferred is not None:
            expected = EmailState.DEFERRED if deferred else None
        names = {"#pk": t.PK, "#state": t.EMAIL_STATE}
        values: dict[str, Any] = {":state": {"S": state.value}}
        expression = "SET #state = :state"
        if delivery is not None:
            names["#deliveries"] = "deliveries"
            values[":entry"] = serialize({"v": [delivery.model_dump(mode="json")]})["v"]
            values[":empty"] = {"L": []}
            values[":now"] = {"S": utc_iso(delivery.at)}
            names["#updated"] = "updated_at"
            expression += (
                ", #deliveries = list_append(if_not_exists(#deliveries, :empty), :entry), #updated = :now"
            )
        if expected is None:
            condition = "attribute_exists(#pk) AND attribute_not_exists(#state)"
        else:
            condition = "attribute_exists(#pk) AND #state = :expected"
            values[":expected"] = {"S": expected.value}
        return {
            "TableName": self._table,
            "Key": _reminder_key(reminder.tenant_id, reminder.bundle_id, reminder.reminder_id),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }

    def _deferred_item(self, reminder: Reminder, deliver_at: datetime) -> AttributeMap:
        data = {
            t.PK: t.tenant_pk(reminder.tenant_id, t.DEFERRED_COLLECTION),
            t.SK: t.deferred_sk(reminder.bundle_id, reminder.reminder_id),
            "entity_type": DEFERRED_ENTITY,
            "tenant_id": reminder.tenant_id,
            "bundle_id": reminder.bundle_id,
            "reminder_id": reminder.reminder_id,
            "deliver_at": utc_iso(deliver_at),
            **due_index.deferred_delivery_keys(reminder.tenant_id, reminder.reminder_id, deliver_at),
        }
        return serialize(data)

    def _transact(
        self,
        update: dict[str, Any],
        *,
        put_deferred: tuple[Reminder, datetime] | None = None,
        delete_deferred: Reminder | None = None,
    ) -> bool:
        transaction = WriteTransaction(self._table)
        transaction.add({"Update": update}, "email")
        if put_deferred is not None:
            reminder, at = put_deferred
            transaction.add(
                {"Put": {"TableName": self._table, "Item": self._deferred_item(reminder, at)}}, "deferred"
            )
        if delete_deferred is not None:
            key = _deferred_key(
                delete_deferred.tenant_id, delete_deferred.bundle_id, delete_deferred.reminder_id
            )
            transaction.delete(key, "deferred")
        try:
            commit(self._client, transaction)
        except VersionConflictError:
            return False
        return True

    # ---- the sweep's reads ------------------------------------------------------------------------
    def due_deferred_page(
        self, shard: int, now: datetime, cursor: Cursor | None, limit: int
    ) -> tuple[list[DeferredDelivery], Cursor | None]:
        """Deferred emails of ``shard`` whose quiet hours ended by ``now``, oldest first."""
        items, next_cursor = self._reader.query_page(
            cursor, **due_index.due_query(due_index.notify_pk(shard), due_index.upper_bound(now)), Limit=limit
        )
        return [_deferred_from_item(item) for item in items], next_cursor

    def drop_deferred(self, entry: DeferredDelivery) -> None:
        call_dynamodb(
            self._client,
            "delete_item",
            TableName=self._table,
            Key=_deferred_key(entry.tenant_id, entry.bundle_id, entry.reminder_id),
        )

    def due_digest_page(
        self, shard: int, now: datetime, cursor: Cursor | None, limit: int
    ) -> tuple[list[NotificationPreferences], Cursor | None]:
        """Preferences of people whose next digest time is ``<= now``, oldest first."""
        items, next_cursor = self._reader.query_page(
            cursor, **due_index.due_query(due_index.digest_pk(shard), due_index.upper_bound(now)), Limit=limit
        )
        return [item_to_entity(item, NotificationPreferences) for item in items], next_cursor

    def advance_digest(self, preferences: NotificationPreferences, next_at: datetime) -> bool:
        """Claims today's digest: moves the person's digest entry from the time the sweep read to
        ``next_at`` (tomorrow's). Only one sweep wins; False for the others (or after a preferences
        change moved it meanwhile)."""
        if preferences.next_digest_at is None:
            return False
        keys = due_index.digest_keys(preferences.tenant_id, preferences.user_id, next_at)
        return self._conditional(
            "update_item",
            Key={
                t.PK: {"S": t.tenant_pk(preferences.tenant_id, t.PREFERENCES_COLLECTION)},
                t.SK: {"S": t.preferences_sk(preferences.user_id)},
            },
            UpdateExpression="SET #next = :next, #dsk = :dsk",
            ConditionExpression="#next = :seen AND #digest = :daily",
            ExpressionAttributeNames={
                "#next": "next_digest_at",
                "#dsk": due_index.DUE_SK,
                "#digest": "digest",
            },
            ExpressionAttributeValues={
                ":next": {"S": utc_iso(next_at)},
                ":dsk": {"S": str(keys[due_index.DUE_SK])},
                ":seen": {"S": utc_iso(preferences.next_digest_at)},
                ":daily": {"S": Digest.DAILY.value},
            },
        )

    def open_tasks_of(self, tenant_id: str, user_id: str, due_until: str) -> tuple[list[Task], int]:
        """The user's open tasks for a digest through the assignee index: ``todo`` and ``in_progress``
        due on or before ``due_until`` (YYYY-MM-DD), and every ``waiting`` one; with the request count."""
        tasks: list[Task] = []
        requests = 0
        for status, upper in (("todo", due_until), ("in_progress", due_until), ("waiting", None)):
            condition = "#pk = :pk AND begins_with(#sk, :prefix)"
            values: dict[str, Any] = {":pk": {"S": t.assignee_pk(tenant_id, user_id)}}
            if upper is None:
                values[":prefix"] = {"S": f"{status}#"}
            else:
                condition = "#pk = :pk AND #sk BETWEEN :low AND :high"
                values[":low"] = {"S": f"{status}#"}
                values[":high"] = {"S": f"{status}#{upper}#~"}
            for page in self._query_pages(
                IndexName=t.GSI_ASSIGNEE,
                KeyConditionExpression=condition,
                ExpressionAttributeNames={"#pk": "gsi_assignee_pk", "#sk": "gsi_assignee_sk"},
                ExpressionAttributeValues=values,
            ):
                requests += 1
                tasks.extend(item_to_entity(item, Task) for item in page)
        return tasks, requests

    def _query_pages(self, **kwargs: Any) -> Any:
        start: dict[str, Any] = {}
        while True:
            response = self._reader.query(**kwargs, **start)
            yield response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            start = {"ExclusiveStartKey": last}

    def bundles(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Bundle]:
        wanted = [(t.bundle_pk(tenant, bundle), t.BUNDLE_SK) for tenant, bundle in sorted(set(keys))]
        found = (item_to_entity(item, Bundle) for item in self._reader.batch_get(wanted))
        return {(b.tenant_id, b.bundle_id): b for b in found}

    # ---- plumbing ---------------------------------------------------------------------------------
    def _conditional(self, operation: str, **kwargs: Any) -> bool:
        kwargs.pop("TableName", None)  # the update shapes carry it for transactions; write_if adds it
        return write_if(self._client, self._table, operation, **kwargs)


def _deferred_from_item(item: AttributeMap) -> DeferredDelivery:
    data = deserialize(item)
    return DeferredDelivery(
        tenant_id=str(data["tenant_id"]),
        bundle_id=str(data["bundle_id"]),
        reminder_id=str(data["reminder_id"]),
        deliver_at=datetime.fromisoformat(str(data["deliver_at"]).replace("Z", "+00:00")),
    )
