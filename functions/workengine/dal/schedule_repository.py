"""Tenant schedules of recurring templates in the single table: a tenant collection (``S#<template_id>``)
and, while enabled, an entry of the ``gsi_due`` index at their next occurrence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from workengine.dal import due_index
from workengine.dal import table as t
from workengine.dal.codec import item_to_entity, serialize
from workengine.dal.conditional_write import write_if
from workengine.dal.items import schedule_item
from workengine.dal.reads import TableReader
from workengine.domain.errors import VersionConflictError
from workengine.domain.schedules import Schedule


class DynamoScheduleRepository:
    """Raises VersionConflictError when a save loses to a concurrent change, ServiceUnavailableError
    when DynamoDB throttles past the client's retries."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._reader = TableReader(client, table_name)

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
        if not write_if(self._client, self._table, "put_item", **kwargs):
            raise VersionConflictError(
                "the schedule was changed by someone else; retry",
                {"template_id": schedule.template_id, "expected_version": expected_version},
            )

    def due_schedules(self, now: datetime) -> list[Schedule]:
        """Enabled schedules of every tenant whose next occurrence is ``<= now``."""
        query = due_index.due_query(due_index.SCHEDULES_PARTITION, due_index.upper_bound(now))
        return [item_to_entity(item, Schedule) for item in self._reader.query_all(**query)]
