"""Showcase markers: one item per tenant and showcase (tenant partition ``SHOWCASES``), created only if
absent, so of two runs seeding the same showcase exactly one goes ahead. Not an exported entity."""

from __future__ import annotations

from typing import Any

from workengine.dal import table as t
from workengine.dal.codec import entity_to_item, item_to_entity
from workengine.dal.reads import TableReader, call_dynamodb
from workengine.dal.transactions import TransactionConflict, WriteTransaction, commit
from workengine.domain.showcase import ShowcaseMarker

SHOWCASES_COLLECTION = "SHOWCASES"
MARKER_ENTITY_TYPE = "showcase_marker"


def _keys(tenant_id: str, name: str) -> dict[str, str | None]:
    return {t.PK: t.tenant_pk(tenant_id, SHOWCASES_COLLECTION), t.SK: name}


class DynamoShowcaseMarkers:
    """Raises ServiceUnavailableError when DynamoDB throttles."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._reader = TableReader(client, table_name)

    def get(self, tenant_id: str, name: str) -> ShowcaseMarker | None:
        item = self._reader.get(t.tenant_pk(tenant_id, SHOWCASES_COLLECTION), name)
        return None if item is None else item_to_entity(item, ShowcaseMarker)

    def claim(self, marker: ShowcaseMarker) -> bool:
        """Writes the marker if the tenant has none for this showcase; False when one exists."""
        transaction = WriteTransaction(self._table)
        transaction.put_new(entity_to_item(marker, MARKER_ENTITY_TYPE, _keys(marker.tenant_id, marker.name)))
        try:
            commit(self._client, transaction)
        except TransactionConflict:
            return False
        return True

    def save(self, marker: ShowcaseMarker) -> None:
        """Replaces the claimed marker (the finished run's counts)."""
        item = entity_to_item(marker, MARKER_ENTITY_TYPE, _keys(marker.tenant_id, marker.name))
        call_dynamodb(self._client, "put_item", TableName=self._table, Item=item)
