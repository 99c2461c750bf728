"""Atomic multi-item writes (TransactWriteItems) with optimistic locking.

Every write of an existing item is conditioned on its ``version``; a new item on its absence. A lost
condition becomes ``VersionConflictError`` carrying the item as it is now, read from the cancellation
reason (``ReturnValuesOnConditionCheckFailure=ALL_OLD``) instead of a second read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from workengine.dal.codec import AttributeMap, deserialize
from workengine.dal.reads import THROTTLING_CODES, UNREACHABLE_ERRORS, unreachable_error
from workengine.dal.table import KEY_ATTRIBUTES, PK, SK, TASKS_REVISION
from workengine.domain.errors import ServiceUnavailableError, VersionConflictError

TRANSACTION_ITEM_LIMIT = 100


@dataclass(frozen=True)
class ItemRef:
    """What one operation of a transaction writes: the item's kind and, where a caller tells conflicts
    apart by it, its ID. A lost condition names it (``TransactionConflict.on``)."""

    kind: str
    item_id: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.item_id}" if self.item_id else self.kind


def task_ref(task_id: str) -> ItemRef:
    return ItemRef("task", task_id)


def bundle_ref(bundle_id: str) -> ItemRef:
    return ItemRef("bundle", bundle_id)


Label = ItemRef | str
# A transaction is also worth retrying when DynamoDB failed or was still applying the same request.
_RETRYABLE_CODES = THROTTLING_CODES | {
    # TransactionCanceledException reasons spell throttling without the "Exception" suffix.
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
}


class TransactionConflict(VersionConflictError):
    """Raised when a condition failed; ``index`` is the position of the failed operation."""

    def __init__(self, message: str, details: dict[str, Any], index: int, on: ItemRef) -> None:
        VersionConflictError.__init__(self, message, details)
        self.index = index
        self.on = on


class TransactionContention(ServiceUnavailableError):
    """Raised when DynamoDB cancelled the transaction because another one was writing the same item at
    that moment (reason ``TransactionConflict``): nothing was decided, the write may be retried as is."""


@dataclass
class _Operation:
    request: dict[str, Any]
    label: Label


@dataclass
class WriteTransaction:
    """Collects puts for one atomic write; ``label`` names each operation for conflict reporting."""

    table_name: str
    operations: list[_Operation] = field(default_factory=list)

    def put_new(self, item: AttributeMap, label: Label = "new") -> None:
        self.operations.append(
            _Operation(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(#pk)",
                        "ExpressionAttributeNames": {"#pk": PK},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                label,
            )
        )

    def put_immutable(self, item: AttributeMap, content_attribute: str, label: Label) -> None:
        """Put an item whose key names immutable content: written when absent, and a no-op rewrite of
        the same bytes when present with the same ``content_attribute`` (so a transaction that carries it
        never fails because it is already stored); a different content under the key fails."""
        self.operations.append(
            _Operation(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(#pk) OR #content = :content",
                        "ExpressionAttributeNames": {"#pk": PK, "#content": content_attribute},
                        "ExpressionAttributeValues": {":content": item[content_attribute]},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                label,
            )
        )

    def put_versioned(self, item: AttributeMap, expected_version: int, label: Label) -> None:
        self.operations.append(
            _Operation(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": item,
                        "ConditionExpression": "attribute_exists(#pk) AND #version = :expected",
                        "ExpressionAttributeNames": {"#pk": PK, "#version": "version"},
                        "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                label,
            )
        )

    def put_guarded(self, item: AttributeMap, expected_version: int, revision: int, label: Label) -> None:
        """Put a bundle item only if neither its ``version`` nor its tasks revision moved since it was
        read at ``revision``; the stored revision becomes ``revision + 1``."""
        item = {**item, TASKS_REVISION: {"N": str(revision + 1)}}
        condition, names, values = _guard_condition(expected_version, revision)
        self.operations.append(
            _Operation(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": item,
                        "ConditionExpression": condition,
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                label,
            )
        )

    def advance_revision(self, key: AttributeMap, expected_version: int, revision: int, label: Label) -> None:
        """Bump the tasks revision of a bundle item, only if neither its ``version`` nor its revision
        moved since it was read at ``revision`` (the rest of the item is left as it is)."""
        condition, names, values = _guard_condition(expected_version, revision)
        values[":next"] = {"N": str(revision + 1)}
        self.operations.append(
            _Operation(
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": {PK: key[PK], SK: key[SK]},
                        "UpdateExpression": "SET #revision = :next",
                        "ConditionExpression": condition,
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                label,
            )
        )

    def add(self, request: dict[str, Any], label: Label) -> None:
        """Any other TransactWriteItems entry (e.g. ``{"Update": {...}}``) the caller built itself."""
        self.operations.append(_Operation(request, label))

    def delete(self, key: AttributeMap, label: Label = "delete") -> None:
        self.operations.append(
            _Operation({"Delete": {"TableName": self.table_name, "Key": {PK: key[PK], SK: key[SK]}}}, label)
        )

    def __len__(self) -> int:
        return len(self.operations)


def _guard_condition(expected_version: int, revision: int) -> tuple[str, dict[str, str], dict[str, Any]]:
    names = {"#pk": PK, "#version": "version", "#revision": TASKS_REVISION}
    values: dict[str, Any] = {":expected": {"N": str(expected_version)}}
    if revision:
        values[":revision"] = {"N": str(revision)}
        revision_condition = "#revision = :revision"
    else:  # items written before the revision existed, or rewritten whole by a bundle change
        revision_condition = "attribute_not_exists(#revision)"
    return f"attribute_exists(#pk) AND #version = :expected AND {revision_condition}", names, values


def public_view(item: AttributeMap) -> dict[str, Any]:
    """An item as a client may see it: storage keys removed."""
    return {k: v for k, v in deserialize(item).items() if k not in KEY_ATTRIBUTES and k != "entity_type"}


def commit(client: Any, transaction: WriteTransaction) -> None:
    """Write all operations atomically (at most 100; callers chunk larger sets).

    Raises TransactionConflict (a VersionConflictError) when a condition fails, ServiceUnavailableError
    when DynamoDB throttles, cancels for capacity or does not answer after botocore's own retries.
    """
    if not transaction.operations:
        return
    if len(transaction.operations) > TRANSACTION_ITEM_LIMIT:
        raise ValueError(f"a transaction holds at most {TRANSACTION_ITEM_LIMIT} operations")
    try:
        client.transact_write_items(TransactItems=[op.request for op in transaction.operations])
    except UNREACHABLE_ERRORS as exc:
        raise unreachable_error() from exc
    except ClientError as exc:
        raise translate_transaction_error(exc, transaction) from exc


def translate_transaction_error(exc: ClientError, transaction: WriteTransaction) -> Exception:
    code = exc.response.get("Error", {}).get("Code", "")
    if code == "TransactionCanceledException":
        reasons = exc.response.get("CancellationReasons") or []
        for index, reason in enumerate(reasons):
            if reason.get("Code") == "ConditionalCheckFailed":
                current = public_view(reason["Item"]) if reason.get("Item") else None
                label = transaction.operations[index].label if index < len(transaction.operations) else ""
                on = label if isinstance(label, ItemRef) else ItemRef(label)
                return TransactionConflict(
                    "the item was changed by someone else; reload it and retry",
                    {"current": current, "conflict_on": str(on)},
                    index,
                    on,
                )
        if any(reason.get("Code") == "TransactionConflict" for reason in reasons):
            return TransactionContention("the database is busy; retry the request", {"code": code})
        if any(reason.get("Code") in _RETRYABLE_CODES for reason in reasons):
            return ServiceUnavailableError("the database is busy; retry the request", {"code": code})
    if code in _RETRYABLE_CODES:
        return ServiceUnavailableError("the database is busy; retry the request", {"code": code})
    return exc
