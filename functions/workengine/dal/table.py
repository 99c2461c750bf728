"""The one definition of the single DynamoDB table: attribute names, key schema, GSIs and key builders.

The local moto backend, the tests and the CDK stack all build the table from ``TABLE_DEFINITION``.
Every key starts with the tenant, so no query can cross tenants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PK = "pk"
SK = "sk"
TTL_ATTRIBUTE = "expiration"  # also the Powertools idempotency expiry attribute
STREAM_VIEW_TYPE = "NEW_AND_OLD_IMAGES"

GSI_ASSIGNEE = "gsi_assignee"  # my tasks: assignee → status → due date
GSI_BUNDLES = "gsi_bundles"  # bundles of a tenant by status → created; open tasks by escalation target
GSI_TEMPLATE = "gsi_template"  # bundles of a tenant and template by status → created
GSI_ENTITY = "gsi_entity"  # any entity by its stable ID (tasks, artifacts, jobs, reminders, exports)
GSI_DUE = "gsi_due"  # sparse: open tasks by the time bucket of their next reminder (the sweep)


@dataclass(frozen=True)
class IndexDefinition:
    name: str
    partition_key: str
    sort_key: str | None


INDEXES: tuple[IndexDefinition, ...] = (
    IndexDefinition(GSI_ASSIGNEE, "gsi_assignee_pk", "gsi_assignee_sk"),
    IndexDefinition(GSI_BUNDLES, "gsi_bundles_pk", "gsi_bundles_sk"),
    IndexDefinition(GSI_TEMPLATE, "gsi_template_pk", "gsi_template_sk"),
    IndexDefinition(GSI_ENTITY, "gsi_entity_pk", None),
    IndexDefinition(GSI_DUE, "gsi_due_pk", "gsi_due_sk"),
)
INDEX_BY_NAME = {index.name: index for index in INDEXES}
# Bookkeeping on the bundle item: bumped by every write of one of its tasks, so two writers of different
# tasks of one bundle cannot both commit a bundle progress derived from what each read (write skew).
TASKS_REVISION = "tasks_revision"
# Bookkeeping on a reminder item: where its email stands (claimed, sent, muted, deferred, failed); the
# notifier's conditional writes read it so a redelivered event never sends twice (notification_repository).
EMAIL_STATE = "email_state"
# Storage attributes: key and bookkeeping attributes, never part of an entity, a response or an export.
KEY_ATTRIBUTES: frozenset[str] = frozenset(
    {PK, SK, TTL_ATTRIBUTE, TASKS_REVISION, EMAIL_STATE}
    | {index.partition_key for index in INDEXES}
    | {index.sort_key for index in INDEXES if index.sort_key}
)


def create_table_kwargs(table_name: str) -> dict[str, Any]:
    """``CreateTable`` arguments (on-demand) for boto3/moto; CDK maps the same definition."""
    attributes = {PK, SK}
    gsis = []
    for index in INDEXES:
        key_schema = [{"AttributeName": index.partition_key, "KeyType": "HASH"}]
        attributes.add(index.partition_key)
        if index.sort_key:
            key_schema.append({"AttributeName": index.sort_key, "KeyType": "RANGE"})
            attributes.add(index.sort_key)
        gsis.append(
            {"IndexName": index.name, "KeySchema": key_schema, "Projection": {"ProjectionType": "ALL"}}
        )
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": PK, "KeyType": "HASH"}, {"AttributeName": SK, "KeyType": "RANGE"}],
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"} for name in sorted(attributes)
        ],
        "GlobalSecondaryIndexes": gsis,
        # The change stream feeds the statistics aggregator (handlers/stats_aggregator.py): it compares
        # each bundle's and task's image before and after a change.
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": STREAM_VIEW_TYPE},
    }


# ---- key builders -------------------------------------------------------------------------------------
# Bundle partition: the bundle item (sk "B") and its tasks (sk "B#T#...") sort together, so one Query with
# begins_with(sk, "B") reads a bundle with all its tasks; comments, audit events, artifacts, jobs and
# reminders of the bundle live in the same partition under other prefixes.
BUNDLE_SK = "B"
TASK_SK_PREFIX = "B#T#"
COMMENT_SK_PREFIX = "C#"
EVENT_SK_PREFIX = "E#"
ARTIFACT_SK_PREFIX = "A#"
JOB_SK_PREFIX = "J#"
REMINDER_SK_PREFIX = "R#"
NO_DUE_DATE = "9999-12-31"


def tenant_prefix(tenant_id: str) -> str:
    return f"T#{tenant_id}"


def bundle_pk(tenant_id: str, bundle_id: str) -> str:
    return f"T#{tenant_id}#B#{bundle_id}"


def tenant_pk(tenant_id: str, collection: str) -> str:
    """Tenant-level partitions for items that belong to no bundle (schedules, exports, audit)."""
    return f"T#{tenant_id}#{collection}"


def task_sk(task_id: str) -> str:
    return f"{TASK_SK_PREFIX}{task_id}"


def entity_pk(tenant_id: str, entity_id: str) -> str:
    return f"T#{tenant_id}#ID#{entity_id}"


def assignee_pk(tenant_id: str, assignee: str) -> str:
    return f"T#{tenant_id}#U#{assignee}"


def assignee_sk(status: str, due_date: str | None, task_id: str) -> str:
    return f"{status}#{due_date or NO_DUE_DATE}#{task_id}"


def bundles_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#BUNDLES"


def template_pk(tenant_id: str, template_id: str) -> str:
    return f"T#{tenant_id}#TPL#{template_id}"


def bundle_list_sk(status: str, created_at: str, bundle_id: str) -> str:
    return f"{status}#{created_at}#{bundle_id}"


DEFINITIONS_COLLECTION = "DEFINITIONS"


def definition_sk(template_id: str, template_version: str) -> str:
    return f"D#{template_id}#{template_version}"


def escalated_pk(tenant_id: str, user_id: str) -> str:
    """Open tasks escalated to a user share the bundles index under this partition (never a bundle's)."""
    return f"T#{tenant_id}#ESC#{user_id}"


def escalated_sk(escalated_at: str, task_id: str) -> str:
    return f"{escalated_at}#{task_id}"


PREFERENCES_COLLECTION = "PREFERENCES"
DEFERRED_COLLECTION = "DEFERRED"


def preferences_sk(user_id: str) -> str:
    return f"P#{user_id}"


def deferred_sk(bundle_id: str, reminder_id: str) -> str:
    return f"N#{bundle_id}#{reminder_id}"


# Template statistics (services/stats_aggregator.py): one counters item per template version the tenant
# ran (sk "V#<version>") and one for all versions (sk "ALL"), in one partition per tenant and template.
STATS_VERSION_SK_PREFIX = "V#"
STATS_ALL_SK = "ALL"


def stats_pk(tenant_id: str, template_id: str) -> str:
    return f"T#{tenant_id}#STATS#{template_id}"


def stats_version_sk(template_version: str) -> str:
    return f"{STATS_VERSION_SK_PREFIX}{template_version}"


def stats_applied_pk(tenant_id: str, bundle_id: str) -> str:
    """Which changes of a bundle's items the statistics already counted (one item per change, with a
    time to live): apart from the bundle's own partition, so bundle reads and exports never see them."""
    return f"T#{tenant_id}#STATSLOG#{bundle_id}"


# The tenant collection of schedules: ``TENANT#<tenant>#SCHEDULES`` / ``S#<template_id>``.
SCHEDULES_COLLECTION = "SCHEDULES"
