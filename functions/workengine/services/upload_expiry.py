"""Artifacts whose upload never came: ``pending`` past the upload URL's lifetime plus a margin → ``expired``.

A lost or failed upload notification would otherwise leave an artifact ``pending`` forever. Once its
presigned URL has expired (plus a margin for an upload that started just before and S3's notification
delay) no upload can still arrive through it, so the sweep marks it ``expired`` with an audit event. An
object that arrives anyway is not accepted (the upload check treats ``expired`` as decided).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from workengine.dal.artifact_repository import DynamoArtifactRepository
from workengine.dal.due_index import UPLOAD_SHARDS
from workengine.domain.audit import audit_event
from workengine.domain.enums import ArtifactStatus, EntityType
from workengine.domain.ids import new_id
from workengine.domain.paging import Cursor
from workengine.domain.versioning import next_version
from workengine.observability import metrics
from workengine.services.sweep_work import Budget

SYSTEM_ACTOR = "system:sweep"
EXPIRED_REASON = "the upload URL expired before an upload arrived"


class UploadExpiryService:
    """Raises ServiceUnavailableError when DynamoDB throttles (the next sweep continues)."""

    def __init__(
        self,
        artifacts: DynamoArtifactRepository,
        *,
        upload_url_ttl: timedelta,
        margin: timedelta,
        page_size: int = 100,
        id_factory: Callable[[str], str] = new_id,
    ) -> None:
        self._artifacts = artifacts
        self._max_age = upload_url_ttl + margin
        self._page_size = page_size
        self._new_id = id_factory

    def expire_stale(self, now: datetime, budget: Budget) -> int:
        """Marks every artifact still ``pending`` that was created more than the URL lifetime plus the
        margin before ``now`` (page by page, while ``budget`` lasts); returns how many."""
        cutoff = now - self._max_age
        expired = 0
        for shard in range(UPLOAD_SHARDS):
            cursor: Cursor | None = None
            while not budget.exhausted():
                stale, cursor = self._artifacts.pending_uploads_before(shard, cutoff, cursor, self._page_size)
                changes = []
                for artifact in stale:
                    updated = artifact.model_copy(
                        update={
                            "status": ArtifactStatus.EXPIRED,
                            "rejection_reason": EXPIRED_REASON,
                            "version": next_version(artifact),
                        }
                    )
                    event = audit_event(
                        entity_type=EntityType.ARTIFACT,
                        entity_id=artifact.artifact_id,
                        action="expired",
                        actor=SYSTEM_ACTOR,
                        at=now,
                        new_id=self._new_id,
                        before=artifact,
                        after=updated,
                    )
                    changes.append((updated, artifact.version, event))
                expired += len(self._artifacts.save_many(changes)) if changes else 0
                if cursor is None:
                    break
        if expired:
            metrics.add_metric(name="UploadsExpired", unit="Count", value=expired)
        return expired
