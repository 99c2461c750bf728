"""Storage side of export and import: paginated reads of a tenant's items, export-run records, the S3
export sink, artifact binaries, and idempotent conditional writes for import.

Every read is a paginated Query (never a Scan) so an export holds one page at a time.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from workengine.dal import table as t
from workengine.dal.codec import AttributeMap, entity_to_item, item_to_entity
from workengine.dal.reads import UNREACHABLE_ERRORS, TableReader, translate_read_error, unreachable_error
from workengine.dal.transactions import TransactionConflict, WriteTransaction, commit
from workengine.domain.errors import NotFoundError, VersionConflictError
from workengine.domain.export_format import ExportRun

EXPORTS_COLLECTION = "EXPORTS"
EXPORT_SK_PREFIX = "X#"
EXPORT_ENTITY_TYPE = "export"
_CHUNK = 1024 * 1024


class DynamoTenantItems:
    """Streams every item of one tenant: its bundle partitions (found through ``gsi_bundles``) and its
    tenant-level partitions. Yields stored items as DynamoDB attribute maps, one page in memory."""

    def __init__(self, client: Any, table_name: str, page_size: int = 500) -> None:
        self._reader = TableReader(client, table_name)
        self._page_size = page_size

    def bundle_ids(self, tenant_id: str) -> Iterator[str]:
        """Bundle IDs in index order (status, created, ID); only IDs are projected."""
        for item in self._reader.query_all(
            IndexName=t.GSI_BUNDLES,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": "gsi_bundles_pk", "#id": "bundle_id"},
            ExpressionAttributeValues={":pk": {"S": t.bundles_pk(tenant_id)}},
            ProjectionExpression="#id",
            Limit=self._page_size,
        ):
            yield item["bundle_id"]["S"]

    def partition(self, partition_key: str) -> Iterator[AttributeMap]:
        return self._reader.query_all(
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": t.PK},
            ExpressionAttributeValues={":pk": {"S": partition_key}},
            ConsistentRead=True,
            Limit=self._page_size,
        )

    def bundle_items(self, tenant_id: str, bundle_id: str) -> Iterator[AttributeMap]:
        return self.partition(t.bundle_pk(tenant_id, bundle_id))

    def collection_items(self, tenant_id: str, collection: str) -> Iterator[AttributeMap]:
        return self.partition(t.tenant_pk(tenant_id, collection))


class DynamoExportRuns:
    """Export runs in ``tenant_pk(tenant, "EXPORTS")`` (sk ``X#<export_id>``), findable by ID.

    Raises NotFoundError for unknown or other tenants' IDs, VersionConflictError when a save loses.
    """

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._reader = TableReader(client, table_name)

    @staticmethod
    def _keys(run: ExportRun) -> dict[str, str | None]:
        return {
            t.PK: t.tenant_pk(run.tenant_id, EXPORTS_COLLECTION),
            t.SK: f"{EXPORT_SK_PREFIX}{run.export_id}",
            "gsi_entity_pk": t.entity_pk(run.tenant_id, run.export_id),
        }

    def create(self, run: ExportRun) -> None:
        self._put(run, "attribute_not_exists(#pk)", {})

    def save(self, run: ExportRun, expected_version: int) -> None:
        self._put(
            run,
            "attribute_exists(#pk) AND #version = :expected",
            {":expected": {"N": str(expected_version)}},
        )

    def _put(self, run: ExportRun, condition: str, values: dict[str, Any]) -> None:
        names = {"#pk": t.PK}
        if values:
            names["#version"] = "version"
        try:
            self._client.put_item(
                TableName=self._table,
                Item=entity_to_item(run, EXPORT_ENTITY_TYPE, self._keys(run)),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except UNREACHABLE_ERRORS as exc:
            raise unreachable_error() from exc
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise VersionConflictError(
                    f"export {run.export_id!r} changed concurrently", {"export_id": run.export_id}
                ) from exc
            raise translate_read_error(exc) from exc

    def get(self, tenant_id: str, export_id: str) -> ExportRun:
        item = self._reader.get(t.tenant_pk(tenant_id, EXPORTS_COLLECTION), f"{EXPORT_SK_PREFIX}{export_id}")
        if item is None:
            raise NotFoundError("export", export_id)
        return item_to_entity(item, ExportRun)


# Puts per import transaction: well under TransactWriteItems' 100 items and 4 MB for typical records.
IMPORT_WRITE_BATCH = 25


class DynamoRecordWriter:
    """Import reads and writes in batches: the stored items among a batch's keys by consistent
    BatchGetItem, and absent items written by TransactWriteItems of ``IMPORT_WRITE_BATCH`` puts, each
    conditioned on its key being absent, so nothing stored is ever overwritten."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._reader = TableReader(client, table_name)

    def stored(self, items: Sequence[AttributeMap]) -> dict[tuple[str, str], AttributeMap]:
        """The stored items with the keys of ``items``, by ``(pk, sk)``. Raises ServiceUnavailableError
        when DynamoDB throttles."""
        keys = list(dict.fromkeys(item_key(item) for item in items))
        return {item_key(found): found for found in self._reader.batch_get(keys, consistent=True)}

    def put_new(self, items: Sequence[AttributeMap]) -> list[AttributeMap]:
        """Write the items whose keys are absent; returns those found stored after all (written by
        someone else since ``stored`` looked). A batch that loses any condition is redone item by item."""
        taken: list[AttributeMap] = []
        for start in range(0, len(items), IMPORT_WRITE_BATCH):
            chunk = items[start : start + IMPORT_WRITE_BATCH]
            transaction = WriteTransaction(self._table)
            for item in chunk:
                transaction.put_new(item, "imported")
            try:
                commit(self._client, transaction)
            except (TransactionConflict, ClientError):
                # a key taken meanwhile, or a batch DynamoDB refuses whole (over 4 MB): one by one
                taken.extend(item for item in chunk if not self._put_one(item))
        return taken

    def _put_one(self, item: AttributeMap) -> bool:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": t.PK},
            )
            return True
        except UNREACHABLE_ERRORS as exc:
            raise unreachable_error() from exc
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise translate_read_error(exc) from exc
            return False


def item_key(item: AttributeMap) -> tuple[str, str]:
    return item[t.PK]["S"], item[t.SK]["S"]


class S3ExportSink:
    """Files are written to a local staging directory (bounded memory), then uploaded with
    ``upload_file`` (multipart for large files) under ``exports/{tenant_id}/{export_id}/``."""

    def __init__(self, client: Any, bucket: str, prefix: str, staging_dir: Path) -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix.rstrip("/") + "/"
        self._staging = staging_dir

    @property
    def location(self) -> str:
        return f"s3://{self._bucket}/{self._prefix}"

    def key_of(self, name: str) -> str:
        return f"{self._prefix}{name}"

    def staging_path(self, name: str) -> Path:
        path = self._staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def publish(self, name: str) -> None:
        path = self._staging / name
        self._client.upload_file(str(path), self._bucket, self.key_of(name))
        os.remove(path)


def export_prefix(tenant_id: str, export_id: str) -> str:
    return f"exports/{tenant_id}/{export_id}/"


class S3BinarySource:
    """Copies artifact objects from the artifact bucket into an export, chunk by chunk."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def copy_to(self, s3_key: str, path: Path, version_id: str | None = None) -> tuple[int, str] | None:
        """Copies the object (its pinned ``version_id`` when given); returns (size, sha256), or None
        when it does not exist (e.g. never uploaded)."""
        try:
            response = self._client.get_object(
                Bucket=self._bucket, Key=s3_key, **({"VersionId": version_id} if version_id else {})
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "NoSuchVersion", "404"}:
                return None
            raise
        digest = hashlib.sha256()
        size = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            for chunk in response["Body"].iter_chunks(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        return size, digest.hexdigest()


@dataclass(frozen=True)
class PlacedObject:
    """An object written into the artifact bucket; ``version_id`` is None without versioning."""

    version_id: str | None


class S3BinaryTarget:
    """Places artifact binaries under the importing tenant's keys: from the export's ``binaries/`` when it
    has them, else by a server-side copy of one pinned version inside the artifact bucket."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def upload(self, path: Path, key: str, content_type: str) -> PlacedObject:
        self._client.upload_file(str(path), self._bucket, key, ExtraArgs={"ContentType": content_type})
        # upload_file (multipart for large files) does not return the version it wrote.
        head = self._client.head_object(Bucket=self._bucket, Key=key)
        return PlacedObject(head.get("VersionId"))

    def copy(self, source_key: str, target_key: str, source_version_id: str | None) -> PlacedObject | None:
        """None when the source does not exist (another deployment's bucket, never uploaded)."""
        source = {"Bucket": self._bucket, "Key": source_key}
        if source_version_id:
            source["VersionId"] = source_version_id
        try:
            response = self._client.copy_object(Bucket=self._bucket, Key=target_key, CopySource=source)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "NoSuchVersion", "404", "NotFound"}:
                return None
            raise
        return PlacedObject(response.get("VersionId"))


def presigned_get_url(client: Any, bucket: str, key: str, ttl_seconds: int) -> str:
    url: str = client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=ttl_seconds
    )
    return url


class LambdaExportDispatcher:
    """Starts the export worker with an asynchronous invocation (Lambda queues and retries it)."""

    def __init__(self, client: Any, function_name: str) -> None:
        self._client = client
        self._function = function_name

    def __call__(self, tenant_id: str, export_id: str) -> None:
        payload = json.dumps({"tenant_id": tenant_id, "export_id": export_id}).encode()
        self._client.invoke(FunctionName=self._function, InvocationType="Event", Payload=payload)
