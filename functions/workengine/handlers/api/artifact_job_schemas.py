"""API input and output models of artifacts and assistant jobs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from workengine.domain.entities import Artifact, AssistantJob
from workengine.domain.enums import JobKind
from workengine.handlers.api.schemas import ApiInput

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class CreateArtifactBody(ApiInput):
    filename: str = Field(min_length=1, max_length=1024)
    content_type: str = Field(min_length=3, max_length=255)
    size_bytes: int = Field(ge=1)
    task_id: str | None = Field(default=None, pattern=ID_PATTERN)
    sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="Hex SHA-256 of the file: the upload URL then accepts only these bytes "
        "(S3 checks the signed x-amz-checksum-sha256 header).",
    )


class ArtifactUploadEnvelope(BaseModel):
    artifact: Artifact
    upload_url: str
    upload_headers: dict[str, str] = Field(
        description="Headers the PUT to upload_url must carry exactly (they are part of the signature)."
    )


class ArtifactEnvelope(BaseModel):
    artifact: Artifact
    download_url: str | None = Field(description="Short-lived; null until the upload was accepted.")


class CreateJobBody(ApiInput):
    bundle_id: str = Field(pattern=ID_PATTERN)
    task_id: str | None = Field(default=None, pattern=ID_PATTERN)
    kind: JobKind = Field(description="task_step (needs task_id) or an ad-hoc kind such as summarize_bundle.")
    input: dict[str, Any] = Field(default_factory=dict)


class JobEnvelope(BaseModel):
    job: AssistantJob
