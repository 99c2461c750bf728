"""Extension points other modules plug into the bundle/task services (reminders, artifacts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from workengine.dal.transactions import WriteTransaction
from workengine.domain.entities import ArtifactEvidence, Bundle, Task


class ServiceHooks:
    """Default hooks do nothing; subclasses add writes to the same transaction or refuse a change."""

    def on_stage_change(
        self, bundle: Bundle, tasks: Sequence[Task], now: datetime
    ) -> WriteTransaction | None:
        """Extra items to write atomically with a stage move (e.g. ``stage_change`` reminders)."""
        return None

    def on_tasks_changed(
        self, bundle: Bundle, before: Mapping[str, Task] | None, after: Sequence[Task], now: datetime
    ) -> WriteTransaction | None:
        """Extra items to write atomically with any change of a bundle's tasks (``before`` None: the
        bundle is being created), e.g. ``approval_requested`` reminders."""
        return None

    def check_artifact_proof(
        self, tenant_id: str, bundle_id: str, artifact_ids: Sequence[str]
    ) -> list[ArtifactEvidence]:
        """Raise ValidationFailedError unless every ID is an uploaded artifact of this tenant and bundle;
        return what each artifact is (pinned version, SHA-256) for the task's audit event."""
        return []

    def on_bundle_archived(self, bundle: Bundle) -> None:
        """Runs after an archive is stored (e.g. hand the bundle's binaries to the S3 lifecycle rule)."""
        return None

    def on_bundle_unarchived(self, bundle: Bundle) -> None:
        """Runs after an admin reopened an archived bundle (e.g. take its binaries back from the rule)."""
        return None


class CompositeHooks(ServiceHooks):
    """Runs several hooks: checks in order, stage-change writes merged into one transaction."""

    def __init__(self, hooks: Sequence[ServiceHooks]) -> None:
        self._hooks = list(hooks)

    def on_stage_change(
        self, bundle: Bundle, tasks: Sequence[Task], now: datetime
    ) -> WriteTransaction | None:
        return merge_writes(hook.on_stage_change(bundle, tasks, now) for hook in self._hooks)

    def on_tasks_changed(
        self, bundle: Bundle, before: Mapping[str, Task] | None, after: Sequence[Task], now: datetime
    ) -> WriteTransaction | None:
        return merge_writes(hook.on_tasks_changed(bundle, before, after, now) for hook in self._hooks)

    def check_artifact_proof(
        self, tenant_id: str, bundle_id: str, artifact_ids: Sequence[str]
    ) -> list[ArtifactEvidence]:
        evidence: list[ArtifactEvidence] = []
        for hook in self._hooks:
            evidence.extend(hook.check_artifact_proof(tenant_id, bundle_id, artifact_ids))
        return evidence

    def on_bundle_archived(self, bundle: Bundle) -> None:
        for hook in self._hooks:
            hook.on_bundle_archived(bundle)

    def on_bundle_unarchived(self, bundle: Bundle) -> None:
        for hook in self._hooks:
            hook.on_bundle_unarchived(bundle)


def merge_writes(parts: Iterable[WriteTransaction | None]) -> WriteTransaction | None:
    """One transaction holding the operations of every non-empty part (None when all are empty)."""
    merged: WriteTransaction | None = None
    for part in parts:
        if part is None:
            continue
        if merged is None:
            merged = part
        else:
            merged.operations.extend(part.operations)
    return merged


NO_HOOKS = ServiceHooks()
