"""Tasks: read, list "my tasks", update with the transition rules, comment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from workengine.catalog.loader import TemplateCatalog
from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.dal.transactions import TransactionConflict, TransactionContention, task_ref
from workengine.domain.audit import audit_event
from workengine.domain.clock import Clock, utc_now
from workengine.domain.entities import ArtifactEvidence, AuditEvent, Comment, Task
from workengine.domain.enums import EntityType, Role, TaskStatus
from workengine.domain.errors import VersionConflictError
from workengine.domain.identity import Identity
from workengine.domain.ids import new_id
from workengine.domain.progress import require_open
from workengine.domain.task_rules import TaskChange, apply_task_change
from workengine.domain.versioning import next_version
from workengine.retries import retry_while
from workengine.services.artifact_proof import ArtifactProofChecker
from workengine.services.pagination import PageTokenCodec
from workengine.services.pinned_definitions import PinnedDefinitions
from workengine.services.task_commit import TaskChangeSet, TaskCommitter


def _sibling_conflict(task_id: str) -> Callable[[BaseException], bool]:
    """A write that lost to a change of anything but this task (a sibling task, the bundle's revision):
    the caller's own expectation still holds, so the update is recomputed from a fresh read."""
    own = task_ref(task_id)
    return lambda exc: (
        isinstance(exc, TransactionContention) or (isinstance(exc, TransactionConflict) and exc.on != own)
    )


class TaskService:
    """Raises NotFoundError, ForbiddenError, ValidationFailedError, MissingProofError,
    InvalidTransitionError, BundleClosedError and VersionConflictError."""

    def __init__(
        self,
        repository: DynamoBundleRepository,
        catalog: TemplateCatalog,
        tokens: PageTokenCodec,
        *,
        proof: ArtifactProofChecker,
        clock: Clock = utc_now,
        id_factory: Callable[[str], str] = new_id,
        definitions: PinnedDefinitions | None = None,
        committer: TaskCommitter | None = None,
    ) -> None:
        self._repository = repository
        self._definitions = definitions or PinnedDefinitions(catalog, repository)
        self._tokens = tokens
        self._clock = clock
        self._new_id = id_factory
        self._proof = proof
        self._committer = committer or TaskCommitter(repository, self._definitions, id_factory)

    def get_task(self, identity: Identity, task_id: str) -> Task:
        identity.require(Role.VIEWER)
        return self._repository.find_task(identity.tenant_id, task_id)

    def list_tasks(
        self,
        identity: Identity,
        *,
        assignee: str,
        status: TaskStatus | None,
        due_before: date | None,
        limit: int,
        next_token: str | None,
        include_snoozed: bool = False,
    ) -> tuple[list[Task], str | None]:
        """Snoozed tasks are left out unless ``include_snoozed``."""
        identity.require(Role.VIEWER)
        user = identity.user_id if assignee == "me" else assignee
        scope = (
            f"tasks:{user}:{status.value if status else ''}:{due_before.isoformat() if due_before else ''}"
            f":{'all' if include_snoozed else 'awake'}"
        )
        cursor = self._tokens.decode(next_token, identity.tenant_id, scope)
        page = self._repository.list_tasks_for_assignee(
            identity.tenant_id,
            user,
            status=status.value if status else None,
            due_before=due_before,
            limit=limit,
            cursor=cursor,
            awake_at=None if include_snoozed else self._clock(),
        )
        return page.items, self._tokens.encode(identity.tenant_id, scope, page.cursor)

    def update_task(
        self, identity: Identity, task_id: str, change: TaskChange, expected_version: int | None
    ) -> Task:
        """Retried inside on a sibling's conflict (another task of the bundle written meanwhile), so
        parallel updates of different tasks all succeed; a conflict on this task itself is the caller's
        (VersionConflictError)."""
        identity.require(Role.MEMBER)
        located = self._repository.find_task(identity.tenant_id, task_id)
        return retry_while(
            _sibling_conflict(task_id), lambda: self._update_once(identity, located, change, expected_version)
        )

    def _update_once(
        self, identity: Identity, located: Task, change: TaskChange, expected_version: int | None
    ) -> Task:
        snapshot = self._repository.read_bundle(identity.tenant_id, located.bundle_id)
        bundle, tasks = snapshot.bundle, snapshot.tasks
        by_id = {task.task_id: task for task in tasks}
        task = by_id[located.task_id]
        if expected_version is not None and expected_version != task.version:
            raise VersionConflictError(
                "the task was changed by someone else; reload it and retry",
                {"current": task.model_dump(mode="json"), "expected_version": expected_version},
            )
        require_open(bundle)
        now = self._clock()
        updated = apply_task_change(task, change, actor=identity.user_id, now=now, siblings=by_id)
        evidence: list[ArtifactEvidence] = []
        if change.sent("proof") and updated.proof.artifact_ids:
            new_ids = [a for a in updated.proof.artifact_ids if a not in task.proof.artifact_ids]
            if new_ids:
                evidence = self._proof.check(identity.tenant_id, bundle.bundle_id, new_ids)

        comment = self._comment(identity, updated, change.comment, now) if change.comment else None
        self._committer.commit(
            TaskChangeSet(
                actor=identity.user_id,
                bundle=bundle,
                original=by_id,
                now=now,
                changed=[(updated, "updated")],
                new_comments=[comment] if comment else [],
                revision=snapshot.revision,
                # The audit trail says which bytes were taken as proof (tamper evidence), not just IDs.
                evidence={updated.task_id: evidence} if evidence else {},
            )
        )
        return updated

    def add_comment(self, identity: Identity, task_id: str, text: str) -> Comment:
        identity.require(Role.MEMBER)
        located = self._repository.find_task(identity.tenant_id, task_id)
        # A comment bumps only its task's counter: any concurrent write of that task is retried, too.
        return retry_while(
            lambda exc: isinstance(exc, TransactionConflict | TransactionContention),
            lambda: self._comment_once(identity, located, text),
        )

    def _comment_once(self, identity: Identity, located: Task, text: str) -> Comment:
        bundle, tasks = self._repository.get_bundle_with_tasks(identity.tenant_id, located.bundle_id)
        require_open(bundle)
        task = next(t for t in tasks if t.task_id == located.task_id)
        now = self._clock()
        comment = self._comment(identity, task, text, now)
        updated = task.model_copy(
            update={
                "comments_count": task.comments_count + 1,
                "version": next_version(task),
                "updated_at": now,
            }
        )
        event = self._task_event(identity, task, updated, "commented", now)
        self._repository.save_changes(tasks=[(updated, task.version)], new_comments=[comment], events=[event])
        return comment

    def list_comments(self, identity: Identity, task_id: str) -> list[Comment]:
        identity.require(Role.VIEWER)
        task = self._repository.find_task(identity.tenant_id, task_id)
        return self._repository.list_comments(identity.tenant_id, task.bundle_id, task_id)

    def _comment(self, identity: Identity, task: Task, text: str, now: datetime) -> Comment:
        return Comment.model_validate(
            {
                "comment_id": self._new_id("c"),
                "tenant_id": identity.tenant_id,
                "bundle_id": task.bundle_id,
                "task_id": task.task_id,
                "text": text,
                "author": identity.user_id,
                "created_at": now,
            }
        )

    def _task_event(
        self, identity: Identity, before: Task, after: Task, action: str, now: datetime
    ) -> AuditEvent:
        return audit_event(
            entity_type=EntityType.TASK,
            entity_id=after.task_id,
            action=action,
            actor=identity.user_id,
            at=now,
            new_id=self._new_id,
            before=before,
            after=after,
        )
