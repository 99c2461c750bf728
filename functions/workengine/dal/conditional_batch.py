"""Many independent conditional writes in few requests: TransactWriteItems used as a conditional batch.

BatchWriteItem takes no conditions, and one conditional request per item is what made the sweep cost
several requests per due task. A transaction of up to 100 conditional operations is one request; when
some conditions fail, DynamoDB cancels the whole request and names each failing operation in its
cancellation reasons, so the batch is retried without those operations (each retry drops at least one,
so there are at most as many retries as conditions that fail). The caller learns which operations were
dropped and treats them as "already done" or "lost to a concurrent writer", as it would a single failed
conditional write.

Operations that belong together are passed as one group: a group is never split across requests, so
its operations commit together and in order (a task's reminders before the task leaves the due index).
With ``whole_groups`` a failed condition drops its whole group (an audit event never outlives the change
it records); without it only the failing operation is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from workengine.dal.reads import UNREACHABLE_ERRORS, unreachable_error
from workengine.dal.transactions import TRANSACTION_ITEM_LIMIT, WriteTransaction, translate_transaction_error

T = TypeVar("T")
_CANCELLED = "TransactionCanceledException"
_CONDITION_FAILED = "ConditionalCheckFailed"


@dataclass(frozen=True)
class Operation:
    """One TransactWriteItems entry (``{"Put": {...}}``, ``{"Update": {...}}``) and a caller's tag."""

    request: dict[str, Any]
    tag: str


@dataclass
class BatchOutcome:
    written: list[str] = field(default_factory=list)  # tags
    condition_failed: list[str] = field(default_factory=list)  # tags
    requests: int = 0


def chunk_groups(groups: Iterable[Sequence[T]], limit: int = TRANSACTION_ITEM_LIMIT) -> list[list[T]]:
    """Packs whole groups into chunks of at most ``limit`` entries, in order."""
    chunks: list[list[T]] = []
    current: list[T] = []
    for group in groups:
        if len(group) > limit:
            raise ValueError(f"a group holds at most {limit} operations")
        if len(current) + len(group) > limit:
            chunks.append(current)
            current = []
        current.extend(group)
    if current:
        chunks.append(current)
    return chunks


def _failed_positions(exc: ClientError, size: int) -> list[int] | None:
    """Positions whose condition failed, or None when the cancellation had another cause."""
    if exc.response.get("Error", {}).get("Code") != _CANCELLED:
        return None
    reasons = exc.response.get("CancellationReasons") or []
    failed = [i for i, reason in enumerate(reasons[:size]) if reason.get("Code") == _CONDITION_FAILED]
    others = [r for r in reasons if r.get("Code") not in (None, "None", _CONDITION_FAILED)]
    return failed if failed and not others else None


def write_conditional_batch(
    client: Any, table_name: str, groups: Iterable[Sequence[Operation]], *, whole_groups: bool = False
) -> BatchOutcome:
    """Writes every operation whose condition holds, 100 to a request.

    Raises ServiceUnavailableError when DynamoDB throttles or a concurrent transaction holds an item
    (retrying the whole batch later is safe: every operation is conditional), and any other ClientError
    unchanged.
    """
    outcome = BatchOutcome()
    numbered = [[(number, op) for op in group] for number, group in enumerate(groups)]
    for chunk in chunk_groups(numbered):
        pending = list(chunk)
        while pending:
            outcome.requests += 1
            try:
                client.transact_write_items(TransactItems=[op.request for _, op in pending])
            except UNREACHABLE_ERRORS as exc:
                raise unreachable_error() from exc
            except ClientError as exc:
                positions = _failed_positions(exc, len(pending))
                if positions is None:
                    raise translate_transaction_error(exc, WriteTransaction(table_name)) from exc
                failed = set(positions)
                outcome.condition_failed.extend(pending[i][1].tag for i in failed)
                dropped_groups = {pending[i][0] for i in failed} if whole_groups else set()
                pending = [
                    entry
                    for i, entry in enumerate(pending)
                    if i not in failed and entry[0] not in dropped_groups
                ]
                continue
            outcome.written.extend(op.tag for _, op in pending)
            pending = []
    return outcome
