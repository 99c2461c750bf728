"""The hooks the deployed services run with: each module that plugs into bundles/tasks adds its hook here."""

from __future__ import annotations

from workengine.services.hooks import CompositeHooks, ServiceHooks
from workengine.settings import Settings


def build_hooks(settings: Settings) -> ServiceHooks:
    hooks: list[ServiceHooks] = []
    from workengine.services.reminder_hooks import ReminderHooks

    hooks.append(ReminderHooks(settings.table_name))
    from workengine.dal.artifact_repository import DynamoArtifactRepository, S3ArtifactStore
    from workengine.dal.aws import client
    from workengine.services.artifact_hooks import ArtifactArchiveHooks, ArtifactProofHooks

    artifacts = DynamoArtifactRepository(client("dynamodb"), settings.table_name)
    hooks.append(ArtifactProofHooks(artifacts))
    hooks.append(ArtifactArchiveHooks(artifacts, S3ArtifactStore(client("s3"), settings.bucket_name)))
    return CompositeHooks(hooks)
