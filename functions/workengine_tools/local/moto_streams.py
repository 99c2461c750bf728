"""moto's DynamoDB Streams emulation, made affordable for a long-running local backend.

moto copies a whole table (``copy.deepcopy``) before every TransactWriteItems so it can roll back, and a
table with a stream holds every stream record it ever produced (old and new image each): each
transaction then grows slower with the stream's length (measured: 0.09 s without a stream, 0.40 s with
one, per transaction on a 3,000-item table). A stream record never changes once written, so the copy
may share it: ``share_stream_records`` makes the deep copy of a record the record itself (the copied
shard still gets its own list, so a rolled-back transaction's records still vanish with it): 0.14 s.
"""

from __future__ import annotations

from typing import Any


def share_stream_records() -> None:
    """Idempotent; affects moto in this process only (tooling and tests, never the runtime)."""
    from moto.dynamodb.models.table import StreamRecord

    def _same(self: Any, memo: dict[int, Any]) -> Any:
        return self

    StreamRecord.__deepcopy__ = _same  # type: ignore[attr-defined]
