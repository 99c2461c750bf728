"""``/bundles/{bundle_id}/artifacts`` and ``/artifacts/{artifact_id}`` routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from workengine.domain.identity import Identity
from workengine.handlers.api import dependencies as deps
from workengine.handlers.api.artifact_job_schemas import (
    ArtifactEnvelope,
    ArtifactUploadEnvelope,
    CreateArtifactBody,
)

router = Router()

Caller = Annotated[Identity, Depends(deps.current_identity)]


@router.post(
    "/bundles/<bundle_id>/artifacts",
    status_code=201,
    summary="Create artifact metadata and a presigned upload URL",
)
def create_artifact(
    bundle_id: str, body: Annotated[CreateArtifactBody, Body()], identity: Caller
) -> ArtifactUploadEnvelope:
    """Records the artifact (status ``pending``) and returns a presigned PUT URL; S3's upload event then
    checks size and type and marks it ``uploaded`` or ``rejected``. Member or admin."""
    created = deps.artifact_service().create_upload(
        identity,
        bundle_id,
        filename=body.filename,
        content_type=body.content_type,
        size_bytes=body.size_bytes,
        task_id=body.task_id,
        sha256=body.sha256,
    )
    envelope = ArtifactUploadEnvelope(
        artifact=created.artifact, upload_url=created.upload_url, upload_headers=created.upload_headers
    )
    return envelope


@router.get("/artifacts/<artifact_id>", summary="Artifact metadata and a short-lived download URL")
def get_artifact(artifact_id: str, identity: Caller) -> ArtifactEnvelope:
    """Artifact metadata and, once uploaded, a short-lived presigned download URL. Any role."""
    found = deps.artifact_service().get_artifact(identity, artifact_id)
    return ArtifactEnvelope(artifact=found.artifact, download_url=found.download_url)
