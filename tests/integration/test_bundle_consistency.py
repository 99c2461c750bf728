"""A bundle's progress always matches its tasks, however updates of different tasks interleave.

Each writer reads the bundle partition at one point of the schedule and commits at a later one, as
parallel Lambda instances do; the service must notice a sibling's commit in between (write skew) and
redo its update from a fresh read, and every update must succeed."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.test_bundles_api import CREATE
from tests.support.api import ApiClient
from workengine.composition import container
from workengine.dal.bundle_repository import BundleSnapshot, DynamoBundleRepository
from workengine.domain.enums import BundleStatus, TaskStatus
from workengine.domain.identity import Identity
from workengine.domain.progress import derive_progress
from workengine.domain.task_rules import TaskChange
from workengine.handlers.api import dependencies as deps
from workengine.services.task_service import TaskService

PHASES = ["plan", "build", "ship"]


class FirstReadFrom:
    """The real repository, except that the first ``read_bundle`` answers an earlier snapshot."""

    def __init__(self, real: DynamoBundleRepository, snapshot: BundleSnapshot) -> None:
        self._real = real
        self._snapshot: BundleSnapshot | None = snapshot
        self.reads = 0

    def read_bundle(self, tenant_id: str, bundle_id: str) -> BundleSnapshot:
        self.reads += 1
        snapshot, self._snapshot = self._snapshot, None
        return snapshot or self._real.read_bundle(tenant_id, bundle_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def schedules(task_count: int) -> st.SearchStrategy[list[int]]:
    """A subset of task indexes (at least two), each twice: its first occurrence is the writer's read,
    its second the commit."""
    chosen = st.lists(st.integers(0, task_count - 1), min_size=2, max_size=task_count, unique=True)
    return chosen.flatmap(lambda picked: st.permutations(picked + picked))


def writer_service(snapshot: BundleSnapshot) -> tuple[TaskService, FirstReadFrom]:
    repository = FirstReadFrom(deps.bundle_repository(), snapshot)
    service = TaskService(
        repository,  # type: ignore[arg-type]
        deps.catalog(),
        deps.page_tokens(),
        proof=container().artifact_proof,
    )
    return service, repository


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(schedule=schedules(5), statuses=st.lists(st.sampled_from(["skipped", "in_progress"]), min_size=5))
def test_interleaved_updates_of_different_tasks_all_succeed_and_keep_progress_exact(
    api: ApiClient, schedule: list[int], statuses: list[str]
) -> None:
    # Given a bundle, and writers of different tasks that each read before others commit
    created = api.post("/bundles", CREATE).body
    bundle_id = created["bundle"]["bundle_id"]
    task_ids = [task["task_id"] for task in created["tasks"]]
    identity = Identity(tenant_id="acme", user_id="mia", role=api.caller.role)
    repository = deps.bundle_repository()
    writers: dict[int, tuple[TaskService, FirstReadFrom]] = {}

    # When the schedule runs
    for index in schedule:
        if index not in writers:
            writers[index] = writer_service(repository.read_bundle("acme", bundle_id))
            continue
        service, _ = writers[index]
        status = TaskStatus(statuses[index])
        change = (
            TaskChange(frozenset({"status", "skip_reason"}), status=status, skip_reason="not needed")
            if status is TaskStatus.SKIPPED
            else TaskChange(frozenset({"status"}), status=status)
        )
        service.update_task(identity, task_ids[index], change, None)

    # Then every update landed and the bundle's progress is the one its tasks imply
    final = repository.read_bundle("acme", bundle_id)
    by_id = {task.task_id: task for task in final.tasks}
    for index in writers:
        assert by_id[task_ids[index]].status.value == statuses[index]
    stage, status = derive_progress(PHASES, final.tasks)
    assert (final.bundle.stage, final.bundle.status) == (stage, status)
    assert final.revision == len(writers)
    for index, (_, reader) in writers.items():
        read_at, commit_at = (at for at, value in enumerate(schedule) if value == index)
        sibling_committed = any(
            read_at < _commit_position(schedule, other) < commit_at for other in writers if other != index
        )
        assert (reader.reads > 1) == sibling_committed


def _commit_position(schedule: list[int], index: int) -> int:
    return [at for at, value in enumerate(schedule) if value == index][1]


def test_skipping_every_task_through_stale_reads_completes_the_bundle(api: ApiClient) -> None:
    """The reproduction: all writers read the bundle open before any commits (the 11 parallel skips)."""
    # Given
    created = api.post("/bundles", CREATE).body
    bundle_id = created["bundle"]["bundle_id"]
    repository = deps.bundle_repository()
    identity = Identity(tenant_id="acme", user_id="mia", role=api.caller.role)
    writers = [
        (task["task_id"], writer_service(repository.read_bundle("acme", bundle_id))[0])
        for task in created["tasks"]
    ]

    # When
    for task_id, service in writers:
        service.update_task(
            identity,
            task_id,
            TaskChange(
                frozenset({"status", "skip_reason"}), status=TaskStatus.SKIPPED, skip_reason="not needed"
            ),
            None,
        )

    # Then
    bundle = api.get(f"/bundles/{bundle_id}").body["bundle"]
    assert bundle["status"] == BundleStatus.COMPLETED.value
    assert bundle["stage"] == PHASES[-1]
