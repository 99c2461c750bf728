"""Builds the artifact and assistant-job services from settings (AWS clients come from ``dal.aws``)."""

from __future__ import annotations

from workengine.catalog.loader import TemplateCatalog
from workengine.dal.artifact_repository import DynamoArtifactRepository, S3ArtifactStore
from workengine.dal.aws import client
from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.dal.job_repository import DynamoJobRepository, SqsJobQueue
from workengine.services.artifact_service import ArtifactLimits, ArtifactService
from workengine.services.assistant_providers import (
    AssistantProvider,
    BedrockAssistantProvider,
    LocalAssistantProvider,
)
from workengine.services.job_service import JobService, RetryPolicy
from workengine.services.pinned_definitions import PinnedDefinitions
from workengine.settings import Settings


def build_artifact_service(settings: Settings, bundles: DynamoBundleRepository) -> ArtifactService:
    limits = ArtifactLimits(
        max_bytes=settings.max_artifact_bytes,
        allowed_content_types=frozenset(kind.lower() for kind in settings.allowed_content_types),
        upload_url_ttl_seconds=settings.upload_url_ttl_seconds,
        download_url_ttl_seconds=settings.download_url_ttl_seconds,
    )
    return ArtifactService(
        DynamoArtifactRepository(client("dynamodb"), settings.table_name),
        bundles,
        S3ArtifactStore(client("s3"), settings.bucket_name),
        limits,
    )


def build_provider(settings: Settings) -> AssistantProvider:
    if settings.assistant_provider == "bedrock":
        return BedrockAssistantProvider(
            client("bedrock-runtime"), settings.bedrock_model_id, settings.bedrock_max_tokens
        )
    return LocalAssistantProvider()


def build_job_service(
    settings: Settings,
    bundles: DynamoBundleRepository,
    catalog: TemplateCatalog,
    provider: AssistantProvider | None = None,
    *,
    definitions: PinnedDefinitions | None = None,
) -> JobService:
    return JobService(
        DynamoJobRepository(client("dynamodb"), settings.table_name),
        bundles,
        catalog,
        SqsJobQueue(client("sqs"), settings.jobs_queue_url, settings.jobs_queue_name),
        provider or build_provider(settings),
        retry=RetryPolicy(settings.assistant_max_attempts, settings.assistant_retry_base_seconds),
        definitions=definitions,
    )
