"""The stage a showcase plays on: the engine's own services bound to a controlled clock, and the actions
people take (create a bundle, record fields and proof, upload evidence, comment, decide an approval,
snooze, escalate, run an assistant step) plus the reminder sweep at a chosen time. Every record is the
one those services write, audit trail included; nothing here writes an item itself."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from workengine.dal.reminder_publisher import PublishResult
from workengine.domain.entities import Reminder, Task
from workengine.domain.enums import ApprovalDecision, JobKind, Role, TaskStatus
from workengine.domain.errors import VersionConflictError
from workengine.domain.identity import Identity
from workengine.domain.instantiation import NewBundleRequest
from workengine.domain.task_actions import Escalate, Snooze
from workengine.domain.task_rules import ProofChange, TaskChange
from workengine.services.approval_service import ApprovalService
from workengine.services.artifact_service import ArtifactService
from workengine.services.bundle_service import BundleService
from workengine.services.job_requests import JobRequestService
from workengine.services.job_runner import JobRunner
from workengine.services.sweep_service import SweepService
from workengine.services.task_action_service import TaskActionService
from workengine.services.task_service import TaskService

UPLOAD_ATTEMPTS = 3


class SeedClock:
    """The showcase's time: set forward by the scenario, never past the real time the run started
    (no record may claim to be written in the future)."""

    def __init__(self, limit: datetime) -> None:
        self._limit = limit.astimezone(UTC)
        self._now = self._limit

    def __call__(self) -> datetime:
        return self._now

    @property
    def limit(self) -> datetime:
        return self._limit

    def set(self, when: datetime) -> datetime:
        """Moves the clock to ``when`` (clamped to the limit); raises ValueError when that goes back."""
        target = min(when.astimezone(UTC), self._limit)
        if target < self._now - timedelta(seconds=1) and self._now != self._limit:
            raise ValueError(f"the showcase clock cannot go back from {self._now} to {target}")
        self._now = target
        return target

    def start(self, when: datetime) -> None:
        """Where a scenario's story begins (before its first record)."""
        self._now = min(when.astimezone(UTC), self._limit)


class ObjectUploader(Protocol):
    def put(self, url: str, headers: Mapping[str, str], data: bytes) -> str | None:
        """PUTs ``data`` to a presigned upload URL and returns the object's version ID; raises
        ServiceUnavailableError when refused."""
        ...


class DeferredPublisher:
    """The showcase's sweeps create reminders as of the story's time but publish none: they stay in the
    publish queue, and the next scheduled sweep publishes them (so the API needs no PutEvents grant)."""

    def publish(self, reminders: Sequence[Reminder]) -> PublishResult:
        return PublishResult()


class InlineJobQueue:
    """The showcase runs its assistant jobs itself, on the stage's clock: nothing goes to the jobs queue
    (where a worker would run them at the real time, with the deployed provider)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def send(self, tenant_id: str, bundle_id: str, job_id: str) -> None:
        self.sent.append((tenant_id, bundle_id, job_id))


@dataclass(frozen=True)
class StageServices:
    """The engine's services as the showcase uses them, all built on one SeedClock."""

    bundles: BundleService
    tasks: TaskService
    approvals: ApprovalService
    actions: TaskActionService
    artifacts: ArtifactService
    jobs: JobRequestService
    job_runs: JobRunner
    sweep: SweepService
    uploader: ObjectUploader


StageFactory = Callable[[SeedClock], StageServices]


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


@dataclass
class Played:
    """What a scenario did (counted as it happens; tasks and reminders are read at the end)."""

    bundle_ids: list[str] = field(default_factory=list)
    artifacts: int = 0
    assistant_jobs: int = 0
    comments: int = 0


class BundleOnStage:
    """One bundle of a scenario, its tasks by template key (kept current as the stage acts)."""

    def __init__(self, bundle_id: str, tasks: list[Task]) -> None:
        self.bundle_id = bundle_id
        self.tasks = {task.template_task_ref: task for task in tasks}

    def task(self, key: str) -> Task:
        return self.tasks[key]


class Stage:
    """Raises whatever the services raise: a scenario that breaks a rule of the engine fails loudly."""

    def __init__(self, tenant_id: str, clock: SeedClock, services: StageServices) -> None:
        self.tenant_id = tenant_id
        self.clock = clock
        self._services = services
        self.played = Played()

    def person(self, user_id: str, role: Role = Role.MEMBER) -> Identity:
        return Identity(tenant_id=self.tenant_id, user_id=user_id, role=role)

    def at(self, when: datetime) -> Stage:
        self.clock.set(when)
        return self

    # ---- bundles and tasks ----------------------------------------------------------------------------
    def create(self, who: Identity, request: NewBundleRequest) -> BundleOnStage:
        created = self._services.bundles.create_bundle(who, request)
        self.played.bundle_ids.append(created.bundle.bundle_id)
        return BundleOnStage(created.bundle.bundle_id, created.tasks)

    def refresh(self, bundle: BundleOnStage) -> BundleOnStage:
        _, tasks = self._services.bundles.get_bundle(self.person("showcase", Role.VIEWER), bundle.bundle_id)
        bundle.tasks = {task.template_task_ref: task for task in tasks}
        return bundle

    def update(self, who: Identity, bundle: BundleOnStage, key: str, **change: Any) -> Task:
        """A PATCH of the task: ``status``, ``fields``, ``proof`` (dict), ``comment``, ``waiting_for``..."""
        proof = change.pop("proof", None)
        data: dict[str, Any] = dict(change)
        if proof is not None:
            data["proof"] = ProofChange(fields=dict(proof))
        task = self._services.tasks.update_task(
            who, bundle.task(key).task_id, TaskChange(fields_set=frozenset(data), **data), None
        )
        if change.get("comment"):
            self.played.comments += 1
        self.refresh(bundle)
        return task

    def complete(self, who: Identity, bundle: BundleOnStage, key: str, **change: Any) -> Task:
        return self.update(who, bundle, key, status=TaskStatus.DONE, **change)

    def comment(self, who: Identity, bundle: BundleOnStage, key: str, text: str) -> None:
        self._services.tasks.add_comment(who, bundle.task(key).task_id, text)
        self.played.comments += 1
        self.refresh(bundle)

    def decide(
        self, who: Identity, bundle: BundleOnStage, key: str, decision: ApprovalDecision, comment: str
    ) -> None:
        self._services.approvals.decide(who, bundle.task(key).task_id, decision, comment)
        self.refresh(bundle)

    def snooze(self, who: Identity, bundle: BundleOnStage, key: str, until: datetime, reason: str) -> None:
        self._services.actions.act(who, bundle.task(key).task_id, Snooze(until=until, reason=reason))
        self.refresh(bundle)

    def escalate(self, who: Identity, bundle: BundleOnStage, key: str, to: str, reason: str) -> None:
        self._services.actions.act(who, bundle.task(key).task_id, Escalate(to=to, reason=reason))
        self.refresh(bundle)

    # ---- evidence and assistant ------------------------------------------------------------------------
    def upload(
        self, who: Identity, bundle: BundleOnStage, key: str, filename: str, content_type: str, data: bytes
    ) -> str:
        """The artifact flow: metadata and a presigned URL, the PUT of the bytes, the upload check S3's
        notification triggers in AWS (run here at once; a later notification finds it decided).

        The artifact is created at the story's time, so a sweep running meanwhile at the real time sees
        its upload URL as long expired and may expire it first: the upload is then made again."""
        for _ in range(UPLOAD_ATTEMPTS - 1):
            artifact_id = self._upload_once(who, bundle, key, filename, content_type, data)
            if artifact_id is not None:
                return artifact_id
        artifact_id = self._upload_once(who, bundle, key, filename, content_type, data)
        if artifact_id is None:
            raise RuntimeError(f"the showcase's upload of {filename!r} was not accepted")
        return artifact_id

    def _upload_once(
        self, who: Identity, bundle: BundleOnStage, key: str, filename: str, content_type: str, data: bytes
    ) -> str | None:
        created = self._services.artifacts.create_upload(
            who,
            bundle.bundle_id,
            filename=filename,
            content_type=content_type,
            size_bytes=len(data),
            task_id=bundle.task(key).task_id,
            sha256=hashlib.sha256(data).hexdigest(),
        )
        version_id = self._services.uploader.put(created.upload_url, created.upload_headers, data)
        artifact = created.artifact
        status = None
        with contextlib.suppress(VersionConflictError):  # the notification's own check got there first
            status = self._services.artifacts.record_upload(
                self._services.artifacts.bucket, artifact.s3_key, version_id
            ).status
        if status != "uploaded":
            status = self._services.artifacts.get_artifact(who, artifact.artifact_id).artifact.status.value
        if status != "uploaded":
            return None
        self.played.artifacts += 1
        return artifact.artifact_id

    def assist(self, who: Identity, bundle: BundleOnStage, key: str) -> dict[str, Any]:
        """Runs the task's assistant step (queued by ``who``, run at once) and returns its output."""
        job = self._services.jobs.create_job(
            who, bundle_id=bundle.bundle_id, kind=JobKind.TASK_STEP, task_id=bundle.task(key).task_id
        )
        done = self._services.job_runs.run_job(job.tenant_id, job.bundle_id, job.job_id)
        if done.output is None:
            raise RuntimeError(f"the showcase's assistant step {key!r} failed: {done.error}")
        self.played.assistant_jobs += 1
        self.refresh(bundle)
        return dict(done.output)

    def sweep(self, when: datetime) -> None:
        """The reminder sweep at ``when`` (what the schedule would have run then)."""
        self._services.sweep.run(self.clock.set(when))
