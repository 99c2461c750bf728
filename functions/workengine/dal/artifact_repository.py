"""Artifact metadata in the single table (bundle partition, sk ``A#<id>``) and the S3 object store.

Binaries never enter DynamoDB: the table holds metadata only, S3 holds the bytes under a key scoped by
tenant and bundle.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from workengine.dal import due_index
from workengine.dal import table as t
from workengine.dal.codec import AttributeMap, entity_to_item, item_to_entity
from workengine.dal.conditional_batch import Operation, write_conditional_batch
from workengine.dal.items import audit_event_item
from workengine.dal.reads import TableReader
from workengine.dal.transactions import WriteTransaction, commit
from workengine.domain.entities import Artifact, AuditEvent
from workengine.domain.enums import ArtifactStatus, EntityType
from workengine.domain.errors import NotFoundError, ServiceUnavailableError
from workengine.domain.paging import Cursor


def artifact_item(artifact: Artifact) -> AttributeMap:
    keys: dict[str, str | None] = {
        t.PK: t.bundle_pk(artifact.tenant_id, artifact.bundle_id),
        t.SK: f"{t.ARTIFACT_SK_PREFIX}{artifact.artifact_id}",
        "gsi_entity_pk": t.entity_pk(artifact.tenant_id, artifact.artifact_id),
    }
    if artifact.status is ArtifactStatus.PENDING:
        # Awaiting its upload: the sweep expires it from here once the upload URL is long gone.
        keys.update(
            due_index.pending_upload_keys(artifact.tenant_id, artifact.artifact_id, artifact.created_at)
        )
    return entity_to_item(artifact, EntityType.ARTIFACT, keys)


class DynamoArtifactRepository:
    """Raises NotFoundError for unknown (or other tenants') IDs, VersionConflictError when a versioned
    write loses, ServiceUnavailableError when DynamoDB throttles."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._reader = TableReader(client, table_name)

    def create(self, artifact: Artifact, event: AuditEvent) -> None:
        transaction = WriteTransaction(self._table)
        transaction.put_new(artifact_item(artifact), "artifact")
        transaction.put_new(audit_event_item(event), "audit_event")
        commit(self._client, transaction)

    def save(self, artifact: Artifact, expected_version: int, events: Sequence[AuditEvent]) -> None:
        transaction = WriteTransaction(self._table)
        transaction.put_versioned(
            artifact_item(artifact), expected_version, f"artifact:{artifact.artifact_id}"
        )
        for event in events:
            transaction.put_new(audit_event_item(event), "audit_event")
        commit(self._client, transaction)

    def get(self, tenant_id: str, bundle_id: str, artifact_id: str) -> Artifact:
        """Strongly consistent read by the full key (the upload handler knows the bundle)."""
        item = self._reader.get(t.bundle_pk(tenant_id, bundle_id), f"{t.ARTIFACT_SK_PREFIX}{artifact_id}")
        if item is None:
            raise NotFoundError("artifact", artifact_id)
        return item_to_entity(item, Artifact)

    def find(self, tenant_id: str, artifact_id: str) -> Artifact:
        """By ID alone, through the entity index (the index key starts with the tenant)."""
        item = self._reader.find_by_id(tenant_id, artifact_id, EntityType.ARTIFACT)
        if item is None:
            raise NotFoundError("artifact", artifact_id)
        return item_to_entity(item, Artifact)

    def list_for_bundle(self, tenant_id: str, bundle_id: str) -> list[Artifact]:
        """Every artifact of a bundle: one Query on the bundle partition (paginated past 1 MB)."""
        return [
            item_to_entity(item, Artifact)
            for item in self._reader.query_prefix(t.bundle_pk(tenant_id, bundle_id), t.ARTIFACT_SK_PREFIX)
        ]

    def get_many(self, tenant_id: str, bundle_id: str, artifact_ids: Sequence[str]) -> dict[str, Artifact]:
        """The artifacts of this bundle among ``artifact_ids`` (BatchGetItem, consistent); IDs that are
        not artifacts of the bundle are absent from the result."""
        pk = t.bundle_pk(tenant_id, bundle_id)
        keys = [(pk, f"{t.ARTIFACT_SK_PREFIX}{artifact_id}") for artifact_id in dict.fromkeys(artifact_ids)]
        artifacts = (item_to_entity(item, Artifact) for item in self._reader.batch_get(keys, consistent=True))
        return {artifact.artifact_id: artifact for artifact in artifacts}

    # ---- the sweep: uploads that never came -------------------------------------------------------
    def pending_uploads_before(
        self, shard: int, cutoff: datetime, cursor: Cursor | None, limit: int
    ) -> tuple[list[Artifact], Cursor | None]:
        """One Query page of ``pending`` artifacts of ``shard`` created at or before ``cutoff`` (the
        sparse ``UPL#`` entries of the due index), oldest first, and the cursor of the next page."""
        items, next_cursor = self._reader.query_page(
            cursor,
            IndexName=t.GSI_DUE,
            KeyConditionExpression="#pk = :pk AND #sk <= :upper",
            ExpressionAttributeNames={"#pk": due_index.DUE_PK, "#sk": due_index.DUE_SK},
            ExpressionAttributeValues={
                ":pk": {"S": due_index.upload_pk(shard)},
                ":upper": {"S": due_index.upper_bound(cutoff)},
            },
            Limit=limit,
        )
        return [item_to_entity(item, Artifact) for item in items], next_cursor

    def save_many(self, changes: Sequence[tuple[Artifact, int, AuditEvent]]) -> list[str]:
        """Each artifact with its audit event, conditioned on its stored version (transactions of up to
        100 operations); an artifact changed meanwhile is skipped together with its event. Returns the
        IDs written. Raises ServiceUnavailableError when DynamoDB throttles."""
        groups = []
        for artifact, expected_version, event in changes:
            transaction = WriteTransaction(self._table)
            transaction.put_versioned(artifact_item(artifact), expected_version, "artifact")
            transaction.put_new(audit_event_item(event), "audit_event")
            groups.append(
                [
                    Operation(transaction.operations[0].request, artifact.artifact_id),
                    Operation(transaction.operations[1].request, ""),
                ]
            )
        outcome = write_conditional_batch(self._client, self._table, groups, whole_groups=True)
        return [tag for tag in outcome.written if tag]


_ABSENT_CODES = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchVersion"})
_CHUNK = 1024 * 1024

# The S3 lifecycle rule of the artifact bucket (infra) expires objects carrying this tag.
ARCHIVED_TAG_KEY = "workengine-archived"
ARCHIVED_TAG_VALUE = "true"


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 name (RFC 6266 / RFC 5987)."""
    fallback = filename.encode("ascii", "replace").decode("ascii").replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@dataclass(frozen=True)
class StoredObject:
    """One version of an object: ``version_id`` is None in a bucket without versioning; ``sha256`` (hex)
    is S3's full-object checksum when the upload carried one, else None (compute it with ``sha256``)."""

    size_bytes: int
    content_type: str | None
    version_id: str | None = None
    sha256: str | None = None


def _full_object_sha256(response: dict[str, Any]) -> str | None:
    """S3's SHA-256 checksum as hex, unless absent or composite (a checksum of part checksums)."""
    value = response.get("ChecksumSHA256")
    if not value or response.get("ChecksumType", "FULL_OBJECT") != "FULL_OBJECT" or "-" in value:
        return None
    return base64.b64decode(value).hex()


def sha256_header_value(hex_digest: str) -> str:
    """The ``x-amz-checksum-sha256`` header value (base64 of the digest) of a hex SHA-256."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def _version_args(version_id: str | None) -> dict[str, str]:
    return {"VersionId": version_id} if version_id else {}


@contextmanager
def _object_store_errors() -> Iterator[None]:
    """S3 failing (throttled, down, credentials expired) becomes ServiceUnavailableError (503)."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise ServiceUnavailableError("the file store is unavailable; retry the request") from exc


class S3ArtifactStore:
    """Presigned URLs and object checks on the artifacts bucket. Raises ServiceUnavailableError when S3
    (or signing) fails."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    def presign_put(
        self, key: str, content_type: str, size_bytes: int, expires_in: int, sha256: str | None = None
    ) -> str:
        """A PUT URL that signs ``Content-Type`` and ``Content-Length``: S3 refuses another type or size.
        With ``sha256`` (hex) it also signs ``x-amz-checksum-sha256``: S3 then refuses any other bytes."""
        checksum = {"ChecksumSHA256": sha256_header_value(sha256)} if sha256 else {}
        with _object_store_errors():
            url: str = self._client.generate_presigned_url(
                "put_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ContentType": content_type,
                    "ContentLength": size_bytes,
                    **checksum,
                },
                ExpiresIn=expires_in,
                HttpMethod="PUT",
            )
        return url

    def presign_get(self, key: str, filename: str, expires_in: int, version_id: str | None = None) -> str:
        """A GET URL that makes browsers download (never render) the object under its filename; with
        ``version_id`` it serves that version whatever was written to the key since."""
        with _object_store_errors():
            url: str = self._client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ResponseContentDisposition": content_disposition(filename),
                    **_version_args(version_id),
                },
                ExpiresIn=expires_in,
            )
        return url

    def head(self, key: str, version_id: str | None = None) -> StoredObject | None:
        """Size, type, version and (when S3 has it) SHA-256 of the object or of one of its versions;
        None when it does not exist."""
        with _object_store_errors():
            try:
                response = self._client.head_object(
                    Bucket=self.bucket, Key=key, ChecksumMode="ENABLED", **_version_args(version_id)
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in _ABSENT_CODES:
                    return None
                raise
        return StoredObject(
            int(response.get("ContentLength", 0)),
            response.get("ContentType"),
            response.get("VersionId") or version_id,
            _full_object_sha256(response),
        )

    def sha256(self, key: str, version_id: str | None = None) -> str:
        """The SHA-256 (hex) of the object's bytes, streamed chunk by chunk (bounded memory)."""
        digest = hashlib.sha256()
        with _object_store_errors():
            response = self._client.get_object(Bucket=self.bucket, Key=key, **_version_args(version_id))
            for chunk in response["Body"].iter_chunks(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def tag_archived(self, key: str, version_id: str | None = None) -> None:
        """Marks an object (the accepted version) for the lifecycle rule expiring archived binaries."""
        with _object_store_errors():
            self._client.put_object_tagging(
                Bucket=self.bucket,
                Key=key,
                Tagging={"TagSet": [{"Key": ARCHIVED_TAG_KEY, "Value": ARCHIVED_TAG_VALUE}]},
                **_version_args(version_id),
            )

    def untag_archived(self, key: str, version_id: str | None = None) -> None:
        """Takes the archive mark off an object again (the only tag the service sets on binaries)."""
        with _object_store_errors():
            self._client.delete_object_tagging(Bucket=self.bucket, Key=key, **_version_args(version_id))

    def delete(self, key: str, version_id: str | None = None) -> None:
        """Deletes one version for good (no delete marker), or the key when ``version_id`` is None."""
        with _object_store_errors():
            self._client.delete_object(Bucket=self.bucket, Key=key, **_version_args(version_id))
