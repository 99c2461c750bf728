"""moto's TransactWriteItems at a cost that does not grow with the table (bench and large tests only).

moto backs up a transaction by deep-copying the whole table once per operation (100 copies of a
100,000-item table for one 100-operation transaction), which makes a batched sweep over a big seeded
table take hours on moto while DynamoDB does not care about table size. Inside ``item_level_rollback``
the backup holds only the items the transaction touches, and a cancelled transaction restores exactly
those: the same all-or-nothing outcome, at a cost proportional to the transaction.
"""

from __future__ import annotations

import contextlib
import copy
import types
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def item_level_rollback() -> Iterator[None]:
    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items

    def no_table_copies(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        backups = []
        for entry in transact_items:
            kind, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            source = op["Item"] if kind == "Put" else op["Key"]
            key = {name: source[name] for name in (table.hash_key_attr, table.range_key_attr) if name}
            hash_key, range_key = self.get_keys_value(table, key)
            backups.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        models.copy = types.SimpleNamespace(deepcopy=no_table_copies)  # type: ignore[assignment]
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(backups):
                _restore(table, hash_key, range_key, item)
            raise
        finally:
            models.copy = copy  # type: ignore[assignment]

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]


def _restore(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        return
    if item is None:
        table.items.get(hash_key, {}).pop(range_key, None)
    else:
        table.items[hash_key][range_key] = item
