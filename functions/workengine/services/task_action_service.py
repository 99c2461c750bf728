"""Task actions (snooze, escalate, reassign, skip): the change, its reminders and one audit event in one
transaction, through the same commit path as every task change."""

from __future__ import annotations

from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.dal.transactions import TransactionConflict
from workengine.domain.clock import Clock, utc_now
from workengine.domain.entities import Task
from workengine.domain.enums import Role
from workengine.domain.identity import Identity
from workengine.domain.progress import require_open
from workengine.domain.task_actions import TaskAction, apply_action
from workengine.services.pagination import PageTokenCodec
from workengine.services.task_commit import TaskChangeSet, TaskCommitter

# An action carries no expected version: losing a race only means re-reading and applying it again.
ACTION_ATTEMPTS = 4


class TaskActionService:
    """Raises NotFoundError, ForbiddenError (viewers), ValidationFailedError, InvalidTransitionError
    and VersionConflictError."""

    def __init__(
        self,
        repository: DynamoBundleRepository,
        committer: TaskCommitter,
        tokens: PageTokenCodec,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._repository = repository
        self._committer = committer
        self._tokens = tokens
        self._clock = clock

    def list_escalated(
        self,
        identity: Identity,
        escalated_to: str,
        *,
        include_snoozed: bool,
        limit: int,
        next_token: str | None,
    ) -> tuple[list[Task], str | None]:
        """Open tasks whose latest escalation went to ``escalated_to`` (``me``: the caller); one Query."""
        identity.require(Role.VIEWER)
        user = identity.user_id if escalated_to == "me" else escalated_to
        scope = f"escalated:{user}:{'all' if include_snoozed else 'awake'}"
        cursor = self._tokens.decode(next_token, identity.tenant_id, scope)
        page = self._repository.list_tasks_escalated_to(
            identity.tenant_id,
            user,
            limit=limit,
            cursor=cursor,
            awake_at=None if include_snoozed else self._clock(),
        )
        return page.items, self._tokens.encode(identity.tenant_id, scope, page.cursor)

    def act(self, identity: Identity, task_id: str, action: TaskAction) -> Task:
        identity.require(Role.MEMBER)
        located = self._repository.find_task(identity.tenant_id, task_id)
        for attempt in range(ACTION_ATTEMPTS):
            try:
                return self._act_once(identity, located, action)
            except TransactionConflict:
                if attempt == ACTION_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _act_once(self, identity: Identity, located: Task, action: TaskAction) -> Task:
        snapshot = self._repository.read_bundle(identity.tenant_id, located.bundle_id)
        bundle = snapshot.bundle
        by_id = {task.task_id: task for task in snapshot.tasks}
        require_open(bundle)
        now = self._clock()
        outcome = apply_action(by_id[located.task_id], action, bundle=bundle, actor=identity.user_id, now=now)
        change = TaskChangeSet(
            actor=identity.user_id,
            bundle=bundle,
            original=by_id,
            now=now,
            revision=snapshot.revision,
            changed=[(outcome.task, outcome.audit_action)],
            reminders=list(outcome.reminders),
        )
        self._committer.commit(change)
        return outcome.task
