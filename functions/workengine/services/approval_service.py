"""Approval decisions: the decision, the task change, a rework task's reopening and the reminders they
cause are one transaction, conditioned on the versions that were read."""

from __future__ import annotations

from collections.abc import Callable

from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.dal.transactions import TransactionConflict
from workengine.domain.approval_reminders import rework_reminder
from workengine.domain.approvals import DecisionRequest, decide
from workengine.domain.clock import Clock, utc_now
from workengine.domain.entities import Approval, Task
from workengine.domain.enums import ApprovalDecision, Role
from workengine.domain.identity import Identity
from workengine.domain.ids import new_id
from workengine.domain.progress import require_open
from workengine.services.task_commit import TaskChangeSet, TaskCommitter

# Every lost race means another decision on the task was stored; re-reading and deciding again sees it.
# A task has at most a few dozen approvers, so this bound is only reached under pathological contention.
DECISION_ATTEMPTS = 25
_ACTIONS = {ApprovalDecision.APPROVE: "approved", ApprovalDecision.REJECT: "rejected"}


class ApprovalService:
    """Raises NotFoundError, ForbiddenError, ValidationFailedError, NotAnApproverError,
    SelfApprovalError, AlreadyDecidedError, InvalidTransitionError and VersionConflictError."""

    def __init__(
        self,
        repository: DynamoBundleRepository,
        committer: TaskCommitter,
        *,
        clock: Clock = utc_now,
        id_factory: Callable[[str], str] = new_id,
    ) -> None:
        self._repository = repository
        self._committer = committer
        self._clock = clock
        self._new_id = id_factory

    def decide(
        self, identity: Identity, task_id: str, decision: ApprovalDecision, comment: str | None
    ) -> tuple[Approval, Task]:
        identity.require(Role.MEMBER)
        located = self._repository.find_task(identity.tenant_id, task_id)
        for attempt in range(DECISION_ATTEMPTS):
            try:
                return self._decide_once(identity, located, decision, comment)
            except TransactionConflict:
                if attempt == DECISION_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _decide_once(
        self, identity: Identity, located: Task, decision: ApprovalDecision, comment: str | None
    ) -> tuple[Approval, Task]:
        snapshot = self._repository.read_bundle(identity.tenant_id, located.bundle_id)
        bundle = snapshot.bundle
        by_id = {task.task_id: task for task in snapshot.tasks}
        require_open(bundle)
        now = self._clock()
        request = DecisionRequest(identity.user_id, decision, comment, self._new_id("ap"), now)
        outcome = decide(
            by_id[located.task_id], request, assignees=bundle.assignees, owner=bundle.owner, siblings=by_id
        )
        change = TaskChangeSet(
            actor=identity.user_id,
            bundle=bundle,
            original=by_id,
            now=now,
            revision=snapshot.revision,
            changed=[(outcome.task, _ACTIONS[decision])],
        )
        if outcome.reopened is not None:
            change.changed.append((outcome.reopened, "reopened"))
            reminder = rework_reminder(
                bundle, outcome.reopened, outcome.task, outcome.approval.comment or "", now
            )
            change.reminders.append(reminder)
        self._committer.commit(change)
        return outcome.approval, outcome.task
