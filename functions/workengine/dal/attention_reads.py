"""Reads behind ``GET /attention``: a caller's open tasks, tasks escalated to them, and the bundles they
belong to. Query only (never Scan); every read is bounded by the caller's open work (scope ``me``) or by
the tenant's active bundles (scope ``tenant``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from workengine.dal import table as t
from workengine.dal.codec import item_to_entity
from workengine.dal.reads import TableReader
from workengine.domain.entities import Bundle, Task
from workengine.domain.enums import OPEN_TASK_STATUSES, BundleStatus

BundleWithTasks = tuple[Bundle, list[Task]]


class DynamoAttentionReader:
    """Raises ServiceUnavailableError when DynamoDB throttles past the client's retries."""

    def __init__(self, client: Any, table_name: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._reader = TableReader(client, table_name, sleep=sleep)

    def open_tasks_assigned_to(self, tenant_id: str, user_id: str) -> list[Task]:
        """One Query per open status on the assignee index (its sort key starts with the status, so done
        and skipped tasks are never read), paged past 1 MB."""
        tasks: list[Task] = []
        for status in sorted(OPEN_TASK_STATUSES):
            for item in self._reader.query_all(
                IndexName=t.GSI_ASSIGNEE,
                KeyConditionExpression="#pk = :pk AND begins_with(#sk, :status)",
                ExpressionAttributeNames={"#pk": "gsi_assignee_pk", "#sk": "gsi_assignee_sk"},
                ExpressionAttributeValues={
                    ":pk": {"S": t.assignee_pk(tenant_id, user_id)},
                    ":status": {"S": f"{status.value}#"},
                },
            ):
                tasks.append(item_to_entity(item, Task))
        return tasks

    def open_tasks_escalated_to(self, tenant_id: str, user_id: str) -> list[Task]:
        """One Query on the escalation partition (only open tasks sit in it)."""
        return [
            item_to_entity(item, Task)
            for item in self._reader.query_all(
                IndexName=t.GSI_BUNDLES,
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": "gsi_bundles_pk"},
                ExpressionAttributeValues={":pk": {"S": t.escalated_pk(tenant_id, user_id)}},
            )
        ]

    def active_bundle_ids(self, tenant_id: str) -> list[str]:
        """The tenant's active bundles from the bundles index (key condition on the status prefix)."""
        return [
            item["bundle_id"]["S"]
            for item in self._reader.query_all(
                IndexName=t.GSI_BUNDLES,
                KeyConditionExpression="#pk = :pk AND begins_with(#sk, :status)",
                ExpressionAttributeNames={
                    "#pk": "gsi_bundles_pk",
                    "#sk": "gsi_bundles_sk",
                    "#id": "bundle_id",
                },
                ExpressionAttributeValues={
                    ":pk": {"S": t.bundles_pk(tenant_id)},
                    ":status": {"S": f"{BundleStatus.ACTIVE.value}#"},
                },
                ProjectionExpression="#id",
            )
        ]

    def bundles_with_tasks(self, tenant_id: str, bundle_ids: Iterable[str]) -> dict[str, BundleWithTasks]:
        """Each bundle with its tasks: one Query per bundle (item and tasks share a partition and the
        ``B`` prefix; comments, events and reminders are not read). Unknown IDs are left out."""
        found: dict[str, BundleWithTasks] = {}
        for bundle_id in dict.fromkeys(bundle_ids):
            bundle: Bundle | None = None
            tasks: list[Task] = []
            for item in self._reader.query_prefix(t.bundle_pk(tenant_id, bundle_id), t.BUNDLE_SK):
                if item[t.SK]["S"] == t.BUNDLE_SK:
                    bundle = item_to_entity(item, Bundle)
                else:
                    tasks.append(item_to_entity(item, Task))
            if bundle is not None:
                found[bundle_id] = (bundle, sorted(tasks, key=lambda task: task.position))
        return found
