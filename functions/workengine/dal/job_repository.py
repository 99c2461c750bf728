"""Assistant jobs in the single table (bundle partition, sk ``J#<id>``) and their queue. A failed job's
``automation_failure`` reminder is written with the job, in the reminders module's layout."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from workengine.dal import table as t
from workengine.dal.codec import AttributeMap, entity_to_item, item_to_entity
from workengine.dal.items import audit_event_item, reminder_item, task_item
from workengine.dal.reads import TableReader
from workengine.dal.transactions import WriteTransaction, commit, task_ref
from workengine.domain.entities import AssistantJob, AuditEvent, Reminder, Task
from workengine.domain.enums import EntityType
from workengine.domain.errors import NotFoundError, ServiceUnavailableError


def job_item(job: AssistantJob) -> AttributeMap:
    keys: dict[str, str | None] = {
        t.PK: t.bundle_pk(job.tenant_id, job.bundle_id),
        t.SK: f"{t.JOB_SK_PREFIX}{job.job_id}",
        "gsi_entity_pk": t.entity_pk(job.tenant_id, job.job_id),
    }
    return entity_to_item(job, EntityType.ASSISTANT_JOB, keys)


def read_bundle_jobs(reader: TableReader, tenant_id: str, bundle_id: str) -> list[AssistantJob]:
    """Every job of the bundle: one Query on the ``J#`` prefix of its partition (more past 1 MB)."""
    items = reader.query_prefix(t.bundle_pk(tenant_id, bundle_id), t.JOB_SK_PREFIX, consistent=True)
    return [item_to_entity(item, AssistantJob) for item in items]


class DynamoJobRepository:
    """Raises NotFoundError for unknown (or other tenants') job IDs, VersionConflictError when a
    versioned write loses, ServiceUnavailableError when DynamoDB throttles."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._reader = TableReader(client, table_name)

    def create(self, job: AssistantJob, event: AuditEvent) -> None:
        transaction = WriteTransaction(self._table)
        transaction.put_new(job_item(job), "assistant_job")
        transaction.put_new(audit_event_item(event), "audit_event")
        commit(self._client, transaction)

    def save(
        self,
        job: AssistantJob,
        expected_version: int,
        *,
        events: Sequence[AuditEvent] = (),
        task: tuple[Task, int] | None = None,
        reminder: Reminder | None = None,
    ) -> None:
        """One transaction: the job (conditioned on its version), an optional task (on its version),
        an optional new reminder, and audit events."""
        transaction = WriteTransaction(self._table)
        transaction.put_versioned(job_item(job), expected_version, f"assistant_job:{job.job_id}")
        if task is not None:
            transaction.put_versioned(task_item(task[0]), task[1], task_ref(task[0].task_id))
        if reminder is not None:
            transaction.put_new(reminder_item(reminder), "reminder")
        for event in events:
            transaction.put_new(audit_event_item(event), "audit_event")
        commit(self._client, transaction)

    def get(self, tenant_id: str, bundle_id: str, job_id: str) -> AssistantJob:
        item = self._reader.get(t.bundle_pk(tenant_id, bundle_id), f"{t.JOB_SK_PREFIX}{job_id}")
        if item is None:
            raise NotFoundError("assistant job", job_id)
        return item_to_entity(item, AssistantJob)

    def find(self, tenant_id: str, job_id: str) -> AssistantJob:
        """By ID alone, through the entity index (its key starts with the tenant)."""
        item = self._reader.find_by_id(tenant_id, job_id, EntityType.ASSISTANT_JOB)
        if item is None:
            raise NotFoundError("assistant job", job_id)
        return item_to_entity(item, AssistantJob)

    def list_bundle_jobs(self, tenant_id: str, bundle_id: str) -> list[AssistantJob]:
        return read_bundle_jobs(self._reader, tenant_id, bundle_id)


class SqsJobQueue:
    """Sends ``{"tenant_id", "bundle_id", "job_id"}`` messages to the jobs queue. The URL comes from
    settings in AWS; locally (no URL configured) it is looked up once by queue name."""

    def __init__(self, client: Any, queue_url: str | None, queue_name: str) -> None:
        self._client = client
        self._url = queue_url
        self._name = queue_name

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = str(self._client.get_queue_url(QueueName=self._name)["QueueUrl"])
        return self._url

    def send(self, tenant_id: str, bundle_id: str, job_id: str) -> None:
        """Raises ServiceUnavailableError when SQS refuses the message."""
        body = json.dumps({"tenant_id": tenant_id, "bundle_id": bundle_id, "job_id": job_id})
        try:
            self._client.send_message(QueueUrl=self.url, MessageBody=body)
        except ClientError as exc:
            raise ServiceUnavailableError("the job queue is unavailable; retry the request") from exc
