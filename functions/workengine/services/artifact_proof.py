"""Artifact proof checking, the task service's collaborator: a task takes as proof only uploaded artifacts
of its own bundle, and its audit event records what each one was."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from workengine.dal.artifact_repository import DynamoArtifactRepository
from workengine.domain.entities import ArtifactEvidence
from workengine.domain.enums import ArtifactStatus
from workengine.domain.errors import NotFoundError, ValidationFailedError


class ArtifactProofChecker(Protocol):
    def check(self, tenant_id: str, bundle_id: str, artifact_ids: Sequence[str]) -> list[ArtifactEvidence]:
        """What each artifact is (pinned S3 version, SHA-256), in the order of ``artifact_ids``.

        Raises ValidationFailedError unless every ID names an uploaded artifact of this tenant and bundle.
        """
        ...


class UploadedArtifactProof:
    """Checks artifact IDs against the artifact items: ValidationFailedError's ``details.invalid`` maps
    each bad ID to ``not_found`` (unknown, or another tenant's), ``other_bundle``, ``pending`` or
    ``rejected``."""

    def __init__(self, artifacts: DynamoArtifactRepository) -> None:
        self._artifacts = artifacts

    def check(self, tenant_id: str, bundle_id: str, artifact_ids: Sequence[str]) -> list[ArtifactEvidence]:
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
