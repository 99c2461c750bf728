"""API input and output models of artifacts and assistant jobs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from workengine.domain.bounds import Count, EntityId, FreeJson, SingleLineText
from workengine.domain.entities import Artifact, AssistantJob
from workengine.domain.enums import JobKind
from workengine.handlers.api.schemas import ApiInput


class CreateArtifactBody(ApiInput):
    filename: SingleLineText = Field(min_length=1, max_length=1024)
    content_type: SingleLineText = Field(min_length=3, max_length=255)
    size_bytes: Count = Field(ge=1, le=5 * 1024**4)
    task_id: EntityId | None = None
    sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="Hex SHA-256 of the file: the upload URL then accepts only these bytes "
        "(S3 checks the signed x-amz-checksum-sha256 header).",
    )


class ArtifactUploadEnvelope(BaseModel):
    model_config = ConfigDict(defer_build=True)
    artifact: Artifact
    upload_url: str
    upload_headers: dict[str, str] = Field(
        description="Headers the PUT to upload_url must carry exactly (they are part of the signature)."
    )


class ArtifactEnvelope(BaseModel):
    model_config = ConfigDict(defer_build=True)
    artifact: Artifact
    download_url: str | None = Field(description="Short-lived; null until the upload was accepted.")


class CreateJobBody(ApiInput):
    bundle_id: EntityId
    task_id: EntityId | None = None
    kind: JobKind = Field(description="task_step (needs task_id) or an ad-hoc kind such as summarize_bundle.")
    input: FreeJson = Field(default_factory=dict)


class JobEnvelope(BaseModel):
    model_config = ConfigDict(defer_build=True)
    job: AssistantJob
