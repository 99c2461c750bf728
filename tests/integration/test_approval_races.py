"""Two decisions computed from the same read (the race of parallel approvers, made deterministic):
the version condition refuses the stale one, which re-reads and counts both; nothing double-counts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_approvals_api import FLOW
from tests.support.api import ApiClient
from workengine.dal.bundle_repository import BundleSnapshot, DynamoBundleRepository
from workengine.dal.transactions import TransactionConflict
from workengine.domain.enums import ApprovalDecision, Role, TaskStatus
from workengine.domain.errors import InvalidTransitionError
from workengine.domain.identity import Identity
from workengine.domain.ids import new_id
from workengine.handlers.api import dependencies as deps
from workengine.services.approval_service import ApprovalService
from workengine.services.task_commit import TaskCommitter


class StaleFirstRead(DynamoBundleRepository):
    """Answers the first bundle read with a snapshot taken before other decisions were stored."""

    def __init__(self, inner: DynamoBundleRepository, snapshot: BundleSnapshot) -> None:
        self.__dict__.update(inner.__dict__)
        self._snapshot: BundleSnapshot | None = snapshot
        self.reads = 0
        self.conflicts = 0

    def read_bundle(self, tenant_id: str, bundle_id: str) -> BundleSnapshot:
        self.reads += 1
        if self._snapshot is not None:
            snapshot, self._snapshot = self._snapshot, None
            return snapshot
        return super().read_bundle(tenant_id, bundle_id)

    def save_changes(self, **kwargs: Any) -> None:
        try:
            super().save_changes(**kwargs)
        except TransactionConflict:
            self.conflicts += 1
            raise


def service_on(repository: DynamoBundleRepository) -> ApprovalService:
    return ApprovalService(repository, TaskCommitter(repository, deps.pinned_definitions(), new_id))


def test_a_decision_made_on_a_stale_read_is_recounted_not_lost_or_doubled(api: ApiClient) -> None:
    # Given: v0 and v1 both read the vote with no approvals; v0's decision is stored first
    created = api.post("/bundles", FLOW).body
    vote = next(t for t in created["tasks"] if t["template_task_ref"] == "board_vote")
    repository = deps.bundle_repository()
    stale = repository.read_bundle("acme", vote["bundle_id"])
    service_on(repository).decide(
        Identity("acme", "v0", Role.MEMBER), vote["task_id"], ApprovalDecision.APPROVE, None
    )

    # When: v1 decides on the stale read
    racing = StaleFirstRead(repository, stale)
    _, task = service_on(racing).decide(
        Identity("acme", "v1", Role.MEMBER), vote["task_id"], ApprovalDecision.APPROVE, None
    )

    # Then: the stale write lost on the version condition, the retry saw v0's approval
    assert racing.conflicts == 1 and racing.reads == 2
    assert [a.approver for a in task.approvals] == ["v0", "v1"]
    assert task.version == vote["version"] + 2 and task.status is TaskStatus.TODO


def test_a_third_approval_on_a_stale_read_cannot_complete_twice(api: ApiClient) -> None:
    # Given: v0, v1 stored; v2 and v3 both read the vote with two approvals
    created = api.post("/bundles", FLOW).body
    vote = next(t for t in created["tasks"] if t["template_task_ref"] == "board_vote")
    repository = deps.bundle_repository()
    plain = service_on(repository)
    for voter in ("v0", "v1"):
        plain.decide(Identity("acme", voter, Role.MEMBER), vote["task_id"], ApprovalDecision.APPROVE, None)
    stale = repository.read_bundle("acme", vote["bundle_id"])
    plain.decide(Identity("acme", "v2", Role.MEMBER), vote["task_id"], ApprovalDecision.APPROVE, None)

    # When / Then: v3's decision on the stale read is refused after the re-read shows the task done
    racing = StaleFirstRead(repository, stale)
    with pytest.raises(InvalidTransitionError):
        service_on(racing).decide(
            Identity("acme", "v3", Role.MEMBER), vote["task_id"], ApprovalDecision.APPROVE, None
        )
    assert racing.conflicts == 1
    stored = api.get(f"/tasks/{vote['task_id']}").body["task"]
    assert [a["approver"] for a in stored["approvals"]] == ["v0", "v1", "v2"]
    assert stored["completed_by"] == "v2"
