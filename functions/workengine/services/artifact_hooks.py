"""The task-service hook that accepts artifact proof only for uploaded artifacts of the same bundle."""

from __future__ import annotations

from collections.abc import Sequence

from workengine.dal.artifact_repository import DynamoArtifactRepository, S3ArtifactStore
from workengine.domain.entities import ArtifactEvidence, Bundle
from workengine.domain.enums import ArtifactStatus
from workengine.domain.errors import NotFoundError, ServiceUnavailableError, ValidationFailedError
from workengine.observability import logger
from workengine.services.hooks import ServiceHooks


class ArtifactProofHooks(ServiceHooks):
    """``check_artifact_proof`` returns each artifact's pinned version and SHA-256, or raises
    ValidationFailedError (``details.invalid`` maps each bad ID to
    ``not_found`` (unknown, or another tenant's), ``other_bundle``, ``pending`` or ``rejected``)."""

    def __init__(self, artifacts: DynamoArtifactRepository) -> None:
        self._artifacts = artifacts

    def check_artifact_proof(
        self, tenant_id: str, bundle_id: str, artifact_ids: Sequence[str]
    ) -> list[ArtifactEvidence]:
        found = self._artifacts.get_many(tenant_id, bundle_id, artifact_ids)
        invalid: dict[str, str] = {}
        for artifact_id in dict.fromkeys(artifact_ids):
            artifact = found.get(artifact_id)
            if artifact is None:
                invalid[artifact_id] = self._absent_reason(tenant_id, artifact_id)
            elif artifact.status is not ArtifactStatus.UPLOADED:
                invalid[artifact_id] = artifact.status.value
        if invalid:
            raise ValidationFailedError(
                "proof.artifact_ids must name uploaded artifacts of this bundle: "
                + ", ".join(f"{key} ({why})" for key, why in invalid.items()),
                {"field": "proof.artifact_ids", "invalid": invalid},
            )
        return [
            ArtifactEvidence(
                artifact_id=artifact_id,
                s3_version_id=found[artifact_id].s3_version_id,
                sha256=found[artifact_id].sha256,
            )
            for artifact_id in dict.fromkeys(artifact_ids)
        ]

    def _absent_reason(self, tenant_id: str, artifact_id: str) -> str:
        try:
            self._artifacts.find(tenant_id, artifact_id)
        except NotFoundError:
            return "not_found"
        return "other_bundle"


class ArtifactArchiveHooks(ServiceHooks):
    """Archiving a bundle leaves its binaries to the bucket's lifecycle rule: each uploaded object is
    tagged, and the rule expires tagged objects after the retention the stack sets. Metadata stays in
    DynamoDB (and in exports)."""

    def __init__(self, artifacts: DynamoArtifactRepository, store: S3ArtifactStore) -> None:
        self._artifacts = artifacts
        self._store = store

    def on_bundle_archived(self, bundle: Bundle) -> None:
        """Never fails the archive already stored: an untagged binary simply stays (nothing is lost)."""
        try:
            for artifact in self._artifacts.list_for_bundle(bundle.tenant_id, bundle.bundle_id):
                if artifact.status is ArtifactStatus.UPLOADED:
                    self._store.tag_archived(artifact.s3_key, artifact.s3_version_id)
        except ServiceUnavailableError:
            logger.warning(
                "archived bundle's binaries were not tagged", extra={"bundle_id": bundle.bundle_id}
            )

    def on_bundle_unarchived(self, bundle: Bundle) -> None:
        """Takes the archive tag off each uploaded binary, so the lifecycle rule keeps it. Raises
        ServiceUnavailableError when S3 is away (the service then stores nothing; a retry untags again):
        a binary left tagged would expire with the rule."""
        for artifact in self._artifacts.list_for_bundle(bundle.tenant_id, bundle.bundle_id):
            if artifact.status is ArtifactStatus.UPLOADED:
                self._store.untag_archived(artifact.s3_key, artifact.s3_version_id)
