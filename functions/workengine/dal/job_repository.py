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
from workengine.dal.transactions import WriteTransaction, commit
from workengine.domain.entities import AssistantJob, AuditEvent, Reminder, Task
from workengine.domain.enums import EntityType
from workengine.domain.errors import NotFoundError, ServiceUnavailableError

_READ_THROTTLING = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)


def job_item(job: AssistantJob) -> AttributeMap:
    keys: dict[str, str | None] = {
        t.PK: t.bundle_pk(job.tenant_id, job.bundle_id),
        t.SK: f"{t.JOB_SK_PREFIX}{job.job_id}",
        "gsi_entity_pk": t.entity_pk(job.tenant_id, job.job_id),
    }
    return entity_to_item(job, EntityType.ASSISTANT_JOB, keys)


def _translate_read(exc: ClientError) -> Exception:
    if exc.response.get("Error", {}).get("Code") in _READ_THROTTLING:
        return ServiceUnavailableError("the database is busy; retry the request")
    return exc


class DynamoJobRepository:
    """Raises NotFoundError for unknown (or other tenants') job IDs, VersionConflictError when a
    versioned write loses, ServiceUnavailableError when DynamoDB throttles."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

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
            transaction.put_versioned(task_item(task[0]), task[1], f"task:{task[0].task_id}")
        if reminder is not None:
            transaction.put_new(reminder_item(reminder), "reminder")
        for event in events:
            transaction.put_new(audit_event_item(event), "audit_event")
        commit(self._client, transaction)

    def get(self, tenant_id: str, bundle_id: str, job_id: str) -> AssistantJob:
        try:
            response = self._client.get_item(
                TableName=self._table,
                Key={
                    t.PK: {"S": t.bundle_pk(tenant_id, bundle_id)},
                    t.SK: {"S": f"{t.JOB_SK_PREFIX}{job_id}"},
                },
                ConsistentRead=True,
            )
        except ClientError as exc:
            raise _translate_read(exc) from exc
        if "Item" not in response:
            raise NotFoundError("assistant job", job_id)
        return item_to_entity(response["Item"], AssistantJob)

    def find(self, tenant_id: str, job_id: str) -> AssistantJob:
        """By ID alone, through the entity index (its key starts with the tenant)."""
        try:
            response = self._client.query(
                TableName=self._table,
                IndexName=t.GSI_ENTITY,
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": "gsi_entity_pk"},
                ExpressionAttributeValues={":pk": {"S": t.entity_pk(tenant_id, job_id)}},
            )
        except ClientError as exc:
            raise _translate_read(exc) from exc
        for item in response.get("Items", []):
            if item.get("entity_type", {}).get("S") == EntityType.ASSISTANT_JOB.value:
                return item_to_entity(item, AssistantJob)
        raise NotFoundError("assistant job", job_id)

    def list_bundle_jobs(self, tenant_id: str, bundle_id: str) -> list[AssistantJob]:
        """Every job of the bundle: one Query on the ``J#`` prefix of its partition (more past 1 MB)."""
        jobs: list[AssistantJob] = []
        start: dict[str, Any] = {}
        while True:
            try:
                response = self._client.query(
                    TableName=self._table,
                    KeyConditionExpression="#pk = :pk AND begins_with(#sk, :prefix)",
                    ExpressionAttributeNames={"#pk": t.PK, "#sk": t.SK},
                    ExpressionAttributeValues={
                        ":pk": {"S": t.bundle_pk(tenant_id, bundle_id)},
                        ":prefix": {"S": t.JOB_SK_PREFIX},
                    },
                    ConsistentRead=True,
                    **start,
                )
            except ClientError as exc:
                raise _translate_read(exc) from exc
            jobs.extend(item_to_entity(item, AssistantJob) for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return jobs
            start = {"ExclusiveStartKey": last}


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
