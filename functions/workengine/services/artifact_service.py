"""Artifacts: metadata plus a presigned upload, presigned downloads, and the upload check that turns a
``pending`` artifact into ``uploaded`` or ``rejected`` when S3 reports the object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote_plus

from workengine.dal.artifact_repository import (
    DynamoArtifactRepository,
    S3ArtifactStore,
    StoredObject,
    sha256_header_value,
)
from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.domain.audit import audit_event
from workengine.domain.clock import Clock, utc_now
from workengine.domain.entities import Artifact, ArtifactEvidence
from workengine.domain.enums import ArtifactStatus, EntityType, Role
from workengine.domain.errors import (
    NotFoundError,
    ValidationFailedError,
)
from workengine.domain.filenames import sanitise_filename
from workengine.domain.identity import Identity
from workengine.domain.ids import new_id
from workengine.domain.progress import require_open
from workengine.domain.versioning import next_version

SYSTEM_ACTOR = "system:artifact-upload"
ALREADY_DECIDED = "already decided"
OVERWRITE_IGNORED = "overwrite_ignored"


def tenant_prefix(tenant_id: str) -> str:
    """Every object key of a tenant's artifacts starts with this."""
    return f"tenants/{tenant_id}/"


def artifact_key(tenant_id: str, bundle_id: str, artifact_id: str, filename: str) -> str:
    return f"{tenant_prefix(tenant_id)}bundles/{bundle_id}/artifacts/{artifact_id}/{filename}"


@dataclass(frozen=True)
class ArtifactKeyParts:
    tenant_id: str
    bundle_id: str
    artifact_id: str


def parse_artifact_key(key: str) -> ArtifactKeyParts | None:
    """The tenant, bundle and artifact of an object key laid out by ``artifact_key`` (else None)."""
    parts = unquote_plus(key).split("/")
    if len(parts) < 7 or parts[0] != "tenants" or parts[2] != "bundles" or parts[4] != "artifacts":
        return None
    if not all(parts[i] for i in (1, 3, 5)):
        return None
    return ArtifactKeyParts(parts[1], parts[3], parts[5])


@dataclass(frozen=True)
class ArtifactLimits:
    max_bytes: int
    allowed_content_types: frozenset[str]
    upload_url_ttl_seconds: int
    download_url_ttl_seconds: int


@dataclass(frozen=True)
class NewArtifactUpload:
    artifact: Artifact
    upload_url: str
    upload_headers: dict[str, str]


@dataclass(frozen=True)
class ArtifactDownload:
    artifact: Artifact
    download_url: str | None


@dataclass(frozen=True)
class UploadOutcome:
    """What the upload handler did: ``status`` is the artifact's status afterwards, or ``ignored``."""

    status: str
    artifact_id: str | None = None
    reason: str | None = None

    @property
    def decided(self) -> str | None:
        """What this check newly decided (``uploaded``, ``rejected`` or ``overwrite_ignored``: one metric
        each), or None when it decided nothing new."""
        if self.reason == OVERWRITE_IGNORED:
            return OVERWRITE_IGNORED
        if self.status in {"uploaded", "rejected"} and self.reason != ALREADY_DECIDED:
            return self.status
        return None


def normalise_content_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


class ArtifactService:
    """Raises NotFoundError (unknown or other tenants' bundles, tasks, artifacts), ForbiddenError,
    ValidationFailedError (filename, type or size out of bounds), InvalidTransitionError (closed
    bundle) and ServiceUnavailableError."""

    def __init__(
        self,
        artifacts: DynamoArtifactRepository,
        bundles: DynamoBundleRepository,
        store: S3ArtifactStore,
        limits: ArtifactLimits,
        *,
        clock: Clock = utc_now,
        id_factory: Callable[[str], str] = new_id,
    ) -> None:
        self._artifacts = artifacts
        self._bundles = bundles
        self._store = store
        self._limits = limits
        self._clock = clock
        self._new_id = id_factory

    @property
    def bucket(self) -> str:
        """The bucket artifacts are stored in (what S3's notifications name)."""
        return self._store.bucket

    def create_upload(
        self,
        identity: Identity,
        bundle_id: str,
        *,
        filename: str,
        content_type: str,
        size_bytes: int,
        task_id: str | None = None,
        sha256: str | None = None,
    ) -> NewArtifactUpload:
        """``sha256`` (hex, optional): the bytes the client will upload; the URL then takes only them."""
        identity.require(Role.MEMBER)
        safe_name = sanitise_filename(filename)
        kind = normalise_content_type(content_type)
        if kind not in self._limits.allowed_content_types:
            raise ValidationFailedError(
                f"content type {kind!r} is not accepted",
                {"field": "content_type", "allowed": sorted(self._limits.allowed_content_types)},
            )
        if size_bytes < 1 or size_bytes > self._limits.max_bytes:
            raise ValidationFailedError(
                f"size_bytes must be between 1 and {self._limits.max_bytes}",
                {"field": "size_bytes", "max_bytes": self._limits.max_bytes},
            )
        bundle = self._bundles.get_bundle(identity.tenant_id, bundle_id)
        require_open(bundle)
        if task_id is not None:
            task = self._bundles.find_task(identity.tenant_id, task_id)
            if task.bundle_id != bundle_id:
                raise ValidationFailedError(
                    "task_id is not a task of this bundle", {"field": "task_id", "task_id": task_id}
                )
        now = self._clock()
        artifact_id = self._new_id("art")
        artifact = Artifact(
            artifact_id=artifact_id,
            tenant_id=identity.tenant_id,
            bundle_id=bundle_id,
            task_id=task_id,
            filename=safe_name,
            content_type=kind,
            size_bytes=size_bytes,
            s3_key=artifact_key(identity.tenant_id, bundle_id, artifact_id, safe_name),
            status=ArtifactStatus.PENDING,
            sha256=sha256,
            created_by=identity.user_id,
            created_at=now,
        )
        event = audit_event(
            entity_type=EntityType.ARTIFACT,
            entity_id=artifact_id,
            action="created",
            actor=identity.user_id,
            at=now,
            new_id=self._new_id,
            after=artifact,
        )
        # Sign first: a signing failure must not leave a pending artifact nobody can upload to.
        url = self._store.presign_put(
            artifact.s3_key, kind, size_bytes, self._limits.upload_url_ttl_seconds, sha256
        )
        self._artifacts.create(artifact, event)
        headers = {"Content-Type": kind, "Content-Length": str(size_bytes)}
        if sha256:
            headers["x-amz-checksum-sha256"] = sha256_header_value(sha256)
        return NewArtifactUpload(artifact=artifact, upload_url=url, upload_headers=headers)

    def get_artifact(self, identity: Identity, artifact_id: str) -> ArtifactDownload:
        """The metadata, and a short-lived download URL of the accepted version once there is one."""
        identity.require(Role.VIEWER)
        artifact = self._artifacts.find(identity.tenant_id, artifact_id)
        url = None
        if artifact.status is ArtifactStatus.UPLOADED:
            url = self._store.presign_get(
                artifact.s3_key,
                artifact.filename,
                self._limits.download_url_ttl_seconds,
                artifact.s3_version_id,
            )
        return ArtifactDownload(artifact=artifact, download_url=url)

    def record_upload(self, bucket: str, key: str, version_id: str | None = None) -> UploadOutcome:
        """Checks the object version S3 reported (``version_id``; the current one when None) against
        the artifact's metadata: ``uploaded`` when size and type match, pinning that version and its
        SHA-256; ``rejected`` (with the reason, version deleted) when not. A write to the key of an
        uploaded artifact is recorded and deleted, never served. Repeated notifications and keys that are
        not artifacts are ignored."""
        if bucket != self._store.bucket:
            return UploadOutcome("ignored", reason="not the artifacts bucket")
        parts = parse_artifact_key(key)
        if parts is None:
            return UploadOutcome("ignored", reason="not an artifact key")
        try:
            artifact = self._artifacts.get(parts.tenant_id, parts.bundle_id, parts.artifact_id)
        except NotFoundError:
            return UploadOutcome("ignored", parts.artifact_id, "no such artifact")
        if unquote_plus(key) != artifact.s3_key and key != artifact.s3_key:
            return UploadOutcome("ignored", artifact.artifact_id, "key differs from the artifact's key")
        if artifact.status not in (ArtifactStatus.PENDING, ArtifactStatus.UPLOADED):
            if artifact.status is ArtifactStatus.REJECTED:
                # A delivery that failed after recording the rejection left the refused object behind;
                # deleting is idempotent, so a redelivery finishes that work.
                self._store.delete(artifact.s3_key, version_id)
            return UploadOutcome(artifact.status.value, artifact.artifact_id, ALREADY_DECIDED)
        if artifact.status is ArtifactStatus.UPLOADED and (
            artifact.s3_version_id is None or version_id == artifact.s3_version_id
        ):
            return UploadOutcome(artifact.status.value, artifact.artifact_id, ALREADY_DECIDED)
        stored = self._store.head(artifact.s3_key, version_id)
        if stored is None:
            return UploadOutcome("ignored", artifact.artifact_id, "object not found")
        if artifact.status is ArtifactStatus.UPLOADED:
            return self._record_overwrite(artifact, stored)
        return self._decide(artifact, stored)

    def _decide(self, artifact: Artifact, stored: StoredObject) -> UploadOutcome:
        reason = self._mismatch(artifact, stored.size_bytes, stored.content_type)
        checksum = None if reason else stored.sha256 or self._store.sha256(artifact.s3_key, stored.version_id)
        if checksum and artifact.sha256 and checksum != artifact.sha256:
            # S3 enforces a declared checksum on the signed PUT; this catches anything that bypassed it.
            reason = f"object's SHA-256 {checksum} is not the declared {artifact.sha256}"
            checksum = None
        now = self._clock()
        updated = artifact.model_copy(
            update={
                "status": ArtifactStatus.REJECTED if reason else ArtifactStatus.UPLOADED,
                "rejection_reason": reason,
                "uploaded_at": None if reason else now,
                "s3_version_id": None if reason else stored.version_id,
                "sha256": checksum or artifact.sha256,
                "version": next_version(artifact),
            }
        )
        event = audit_event(
            entity_type=EntityType.ARTIFACT,
            entity_id=artifact.artifact_id,
            action="rejected" if reason else "uploaded",
            actor=SYSTEM_ACTOR,
            at=now,
            new_id=self._new_id,
            before=artifact,
            after=updated,
        )
        self._artifacts.save(updated, artifact.version, [event])
        if reason:
            # A refused binary has no use; deleting it keeps the bucket to accepted evidence only.
            self._store.delete(artifact.s3_key, stored.version_id)
        return UploadOutcome(updated.status.value, artifact.artifact_id, reason)

    def _record_overwrite(self, artifact: Artifact, stored: StoredObject) -> UploadOutcome:
        """Someone wrote to the key of accepted evidence (the upload URL was still valid). The artifact
        keeps its pinned version; the write is recorded with its own checksum, then deleted."""
        if stored.version_id == artifact.s3_version_id:
            return UploadOutcome(artifact.status.value, artifact.artifact_id, ALREADY_DECIDED)
        if stored.version_id != artifact.last_overwrite_version_id:  # else: recorded, delete unfinished
            checksum = stored.sha256 or self._store.sha256(artifact.s3_key, stored.version_id)
            now = self._clock()
            updated = artifact.model_copy(
                update={
                    "overwrites_ignored": artifact.overwrites_ignored + 1,
                    "last_overwrite_version_id": stored.version_id,
                    "version": next_version(artifact),
                }
            )
            event = audit_event(
                entity_type=EntityType.ARTIFACT,
                entity_id=artifact.artifact_id,
                action=OVERWRITE_IGNORED,
                actor=SYSTEM_ACTOR,
                at=now,
                new_id=self._new_id,
                before=artifact,
                after=updated,
            ).model_copy(
                update={
                    "evidence": [
                        ArtifactEvidence(
                            artifact_id=artifact.artifact_id,
                            s3_version_id=artifact.s3_version_id,
                            sha256=artifact.sha256,
                        )
                    ],
                    "after": {
                        "overwrites_ignored": updated.overwrites_ignored,
                        "last_overwrite_version_id": stored.version_id,
                        "ignored_object": {
                            "version_id": stored.version_id,
                            "size_bytes": stored.size_bytes,
                            "content_type": stored.content_type,
                            "sha256": checksum,
                        },
                    },
                }
            )
            self._artifacts.save(updated, artifact.version, [event])
        self._store.delete(artifact.s3_key, stored.version_id)
        return UploadOutcome(artifact.status.value, artifact.artifact_id, OVERWRITE_IGNORED)

    def _mismatch(self, artifact: Artifact, size: int, content_type: str | None) -> str | None:
        if size > self._limits.max_bytes:
            return f"object is {size} bytes, more than the limit of {self._limits.max_bytes}"
        if size != artifact.size_bytes:
            return f"object is {size} bytes but {artifact.size_bytes} were declared"
        actual = normalise_content_type(content_type or "")
        if actual != artifact.content_type:
            return f"object has content type {actual or 'none'!r} but {artifact.content_type!r} was declared"
        return None
