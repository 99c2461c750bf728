"""What happens to a bundle's binaries when it is archived or reopened, the bundle service's collaborator:
archived binaries are handed to the bucket's lifecycle rule (each uploaded object tagged, the rule expires
tagged objects after the retention the stack sets); a reopened bundle's are taken back. Metadata stays in
DynamoDB (and in exports)."""

from __future__ import annotations

from typing import Protocol

from workengine.dal.artifact_repository import DynamoArtifactRepository, S3ArtifactStore
from workengine.domain.entities import Bundle
from workengine.domain.enums import ArtifactStatus
from workengine.domain.errors import ServiceUnavailableError
from workengine.observability import logger


class ArchivedBinaries(Protocol):
    def release(self, bundle: Bundle) -> None:
        """Runs after an archive is stored: the bundle's binaries may now expire. Never raises."""
        ...

    def keep(self, bundle: Bundle) -> None:
        """Runs before a reopen is stored: the bundle's binaries must not expire. Raises
        ServiceUnavailableError when that could not be ensured (the reopen is then not stored)."""
        ...


class LifecycleArchivedBinaries:
    """Tags (release) and untags (keep) the pinned version of each uploaded artifact of the bundle."""

    def __init__(self, artifacts: DynamoArtifactRepository, store: S3ArtifactStore) -> None:
        self._artifacts = artifacts
        self._store = store

    def release(self, bundle: Bundle) -> None:
        """Never fails the archive already stored: an untagged binary simply stays (nothing is lost)."""
        try:
            for artifact in self._artifacts.list_for_bundle(bundle.tenant_id, bundle.bundle_id):
                if artifact.status is ArtifactStatus.UPLOADED:
                    self._store.tag_archived(artifact.s3_key, artifact.s3_version_id)
        except ServiceUnavailableError:
            logger.warning(
                "archived bundle's binaries were not tagged", extra={"bundle_id": bundle.bundle_id}
            )

    def keep(self, bundle: Bundle) -> None:
        """Raises ServiceUnavailableError when S3 is away (a retry untags again): a binary left tagged
        would expire with the rule."""
        for artifact in self._artifacts.list_for_bundle(bundle.tenant_id, bundle.bundle_id):
            if artifact.status is ArtifactStatus.UPLOADED:
                self._store.untag_archived(artifact.s3_key, artifact.s3_version_id)
