"""``/bundles/{bundle_id}/artifacts`` and ``/artifacts/{artifact_id}`` routes."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
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
    responses={
        201: {"description": "Created", "content": {"application/json": {"model": ArtifactUploadEnvelope}}}
    },
)
def create_artifact(
    bundle_id: str, body: Annotated[CreateArtifactBody, Body()], identity: Caller
) -> Response[dict[str, Any]]:
    created = deps.artifact_service().create_upload(
        identity,
        bundle_id,
        filename=body.filename,
        content_type=body.content_type,
        size_bytes=body.size_bytes,
        task_id=body.task_id,
    )
    envelope = ArtifactUploadEnvelope(
        artifact=created.artifact, upload_url=created.upload_url, upload_headers=created.upload_headers
    )
    return Response(status_code=201, content_type="application/json", body=envelope.model_dump(mode="json"))


@router.get("/artifacts/<artifact_id>", summary="Artifact metadata and a short-lived download URL")
def get_artifact(artifact_id: str, identity: Caller) -> ArtifactEnvelope:
    found = deps.artifact_service().get_artifact(identity, artifact_id)
    return ArtifactEnvelope(artifact=found.artifact, download_url=found.download_url)
