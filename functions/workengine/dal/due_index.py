"""Keys of the sparse ``gsi_due`` index, which the sweep reads instead of scanning the table.

Three kinds of entries share it (partition prefixes never collide):

- open tasks: ``DUE#<shard>`` / ``<time>#<tenant>#<task_id>`` — the task's next reminder time, in one
  time-ordered partition per shard. The sweep reads each shard from its start up to ``now``: whatever
  it has not handled yet is still at the front, however long ago it fell due, so the index itself is the
  durable watermark of what has been swept (a handled task moves past ``now``; nothing is read by day).
- artifacts awaiting their upload: ``UPL#<shard>`` / ``<created>#<tenant>#<artifact_id>``; the sweep
  marks the ones older than the upload URL's lifetime plus a margin ``expired``.
- reminders not yet published: ``PUB#<shard>`` / ``<created>#<tenant>#<reminder_id>``; the entry is
  removed once EventBridge accepted the event.
- enabled schedules: ``SCHEDULES`` / ``<next occurrence>#<tenant>#<template_id>``.
- active bundles with time-dependent conditions: ``CONDITIONS#<shard>`` /
  ``<next check>#<tenant>#<bundle_id>``.

Times in sort keys use one fixed-width format, so string order is time order.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from workengine.dal.table import GSI_DUE

DUE_PK = "gsi_due_pk"
DUE_SK = "gsi_due_sk"
DUE_SHARDS = 16  # the unit of parallel sweep work (one worker per shard at most)
PUBLISH_SHARDS = 2
UPLOAD_SHARDS = 2
SCHEDULES_PARTITION = "SCHEDULES"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_AFTER_ANY_SUFFIX = "#~"  # "~" sorts after every character used in tenant and entity IDs


def sort_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(_TIME_FORMAT)


def shard_of(entity_id: str, shards: int) -> int:
    return int(hashlib.sha256(entity_id.encode()).hexdigest()[:8], 16) % shards


def task_due_pk(shard: int) -> str:
    return f"DUE#{shard}"


def task_due_keys(tenant_id: str, task_id: str, at: datetime) -> dict[str, str | None]:
    return {
        DUE_PK: task_due_pk(shard_of(task_id, DUE_SHARDS)),
        DUE_SK: f"{sort_time(at)}#{tenant_id}#{task_id}",
    }


def upload_pk(shard: int) -> str:
    return f"UPL#{shard}"


def pending_upload_keys(tenant_id: str, artifact_id: str, created_at: datetime) -> dict[str, str | None]:
    return {
        DUE_PK: upload_pk(shard_of(artifact_id, UPLOAD_SHARDS)),
        DUE_SK: f"{sort_time(created_at)}#{tenant_id}#{artifact_id}",
    }


def publish_pk(shard: int) -> str:
    return f"PUB#{shard}"


def publish_keys(tenant_id: str, reminder_id: str, created_at: datetime) -> dict[str, str | None]:
    return {
        DUE_PK: publish_pk(shard_of(reminder_id, PUBLISH_SHARDS)),
        DUE_SK: f"{sort_time(created_at)}#{tenant_id}#{reminder_id}",
    }


def schedule_keys(tenant_id: str, template_id: str, next_occurrence: datetime) -> dict[str, str | None]:
    return {
        DUE_PK: SCHEDULES_PARTITION,
        DUE_SK: f"{sort_time(next_occurrence)}#{tenant_id}#{template_id}",
    }


CONDITION_SHARDS = 2


def condition_pk(shard: int) -> str:
    return f"CONDITIONS#{shard}"


def condition_keys(tenant_id: str, bundle_id: str, due_at: datetime) -> dict[str, str | None]:
    return {
        DUE_PK: condition_pk(shard_of(bundle_id, CONDITION_SHARDS)),
        DUE_SK: f"{sort_time(due_at)}#{tenant_id}#{bundle_id}",
    }


def upper_bound(now: datetime) -> str:
    """Sort-key bound that includes every entry whose time is ``<= now``."""
    return f"{sort_time(now)}{_AFTER_ANY_SUFFIX}"


def reminders_list_pk(tenant_id: str) -> str:
    """Tenant-wide reminder listing on the generic ``gsi_template`` index (see docs/dynamodb.md)."""
    return f"T#{tenant_id}#REMINDERS"


def reminders_list_sk(fire_at: datetime, reminder_id: str) -> str:
    return f"{sort_time(fire_at)}#{reminder_id}"


# ---- notifications (see dal/notification_repository.py) -------------------------------------------
# Emails held back by quiet hours: ``NOTIFY#<shard>`` / ``<deliver at>#<tenant>#<reminder_id>`` on a small
# deferred-delivery item; people who want a daily digest: ``DIGEST#<shard>`` / ``<next digest>#<tenant>#
# <user_id>`` on their preferences item (absent while the digest is off).
NOTIFY_SHARDS = 2
DIGEST_SHARDS = 2


def notify_pk(shard: int) -> str:
    return f"NOTIFY#{shard}"


def deferred_delivery_keys(tenant_id: str, reminder_id: str, deliver_at: datetime) -> dict[str, str | None]:
    return {
        DUE_PK: notify_pk(shard_of(reminder_id, NOTIFY_SHARDS)),
        DUE_SK: f"{sort_time(deliver_at)}#{tenant_id}#{reminder_id}",
    }


def digest_pk(shard: int) -> str:
    return f"DIGEST#{shard}"


def digest_keys(tenant_id: str, user_id: str, next_digest_at: datetime) -> dict[str, str | None]:
    return {
        DUE_PK: digest_pk(shard_of(f"{tenant_id}#{user_id}", DIGEST_SHARDS)),
        DUE_SK: f"{sort_time(next_digest_at)}#{tenant_id}#{user_id}",
    }


def due_query(partition: str, upper: str | None) -> dict[str, Any]:
    """Query arguments for one partition of the index, up to the sort key ``upper`` (all when None)."""
    condition = "#pk = :pk"
    values: dict[str, Any] = {":pk": {"S": partition}}
    names = {"#pk": DUE_PK}
    if upper is not None:
        condition += " AND #sk <= :upper"
        names["#sk"] = DUE_SK
        values[":upper"] = {"S": upper}
    return {
        "IndexName": GSI_DUE,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
