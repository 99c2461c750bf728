"""Assistant jobs as the API sees them: request one (stored ``queued`` and sent to the jobs queue), read
it, cancel it while it is still queued. The jobs worker runs them (``services.job_runner``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from workengine.catalog.loader import TemplateCatalog
from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.dal.job_repository import DynamoJobRepository
from workengine.domain.assistant import TASK_STEP, JobPlan, latest_outputs, render_context, render_prompt
from workengine.domain.clock import Clock, utc_now
from workengine.domain.entities import AssistantJob, Bundle, Task
from workengine.domain.enums import JobKind, JobStatus, Role
from workengine.domain.errors import InvalidTransitionError, ServiceUnavailableError, ValidationFailedError
from workengine.domain.identity import Identity
from workengine.domain.ids import new_id
from workengine.domain.progress import require_open
from workengine.domain.rendering import MissingVariableError
from workengine.domain.versioning import next_version
from workengine.observability import metrics
from workengine.services.job_plans import SYSTEM_ACTOR, job_event, plan_job
from workengine.services.pinned_definitions import PinnedDefinitions


class JobQueue(Protocol):
    def send(self, tenant_id: str, bundle_id: str, job_id: str) -> None: ...


class JobRequestService:
    """Raises NotFoundError (unknown or other tenants' bundles, tasks, jobs), ForbiddenError,
    ValidationFailedError (kind, task or input unusable), InvalidTransitionError (closed bundle,
    cancelling a job that already started) and ServiceUnavailableError (queue or database busy)."""

    def __init__(
        self,
        jobs: DynamoJobRepository,
        bundles: DynamoBundleRepository,
        catalog: TemplateCatalog,
        queue: JobQueue,
        *,
        clock: Clock = utc_now,
        id_factory: Callable[[str], str] = new_id,
        definitions: PinnedDefinitions | None = None,
    ) -> None:
        self._jobs = jobs
        self._bundles = bundles
        self._definitions = definitions or PinnedDefinitions(catalog, bundles)
        self._queue = queue
        self._clock = clock
        self._new_id = id_factory

    def create_job(
        self,
        identity: Identity,
        *,
        bundle_id: str,
        kind: JobKind,
        task_id: str | None = None,
        job_input: dict[str, Any] | None = None,
    ) -> AssistantJob:
        """Stores the job ``queued`` and sends it to the queue."""
        identity.require(Role.MEMBER)
        job_input = dict(job_input or {})
        bundle = self._bundles.get_bundle(identity.tenant_id, bundle_id)
        require_open(bundle)
        task: Task | None = None
        if task_id is not None:
            task = self._bundles.find_task(identity.tenant_id, task_id)
            if task.bundle_id != bundle_id:
                raise ValidationFailedError(
                    "task_id is not a task of this bundle", {"field": "task_id", "task_id": task_id}
                )
        if kind == TASK_STEP and task is None:
            raise ValidationFailedError("a task_step job needs task_id", {"field": "task_id"})
        # Refuses now what would fail later.
        plan = plan_job(self._definitions, kind, bundle, task, job_input)
        if kind != TASK_STEP:
            self._check_ad_hoc_prompt(plan, bundle, task)
        now = self._clock()
        job = AssistantJob(
            job_id=self._new_id("job"),
            tenant_id=identity.tenant_id,
            bundle_id=bundle_id,
            task_id=task.task_id if task else None,
            template_task_ref=task.template_task_ref if task else None,
            kind=kind,
            status=JobStatus.QUEUED,
            input=job_input,
            created_by=identity.user_id,
            created_at=now,
            updated_at=now,
        )
        self._jobs.create(job, job_event(job, None, "created", identity.user_id, now, self._new_id))
        try:
            self._queue.send(job.tenant_id, job.bundle_id, job.job_id)
        except ServiceUnavailableError:
            # Never leave a job "queued" that no worker will ever see.
            failed = job.model_copy(
                update={
                    "status": JobStatus.FAILED,
                    "error": "the job could not be queued",
                    "version": next_version(job),
                    "updated_at": self._clock(),
                }
            )
            event = job_event(failed, job, "failed", SYSTEM_ACTOR, self._clock(), self._new_id)
            self._jobs.save(failed, job.version, events=[event])
            raise
        metrics.add_metric(name="AssistantJobQueued", unit="Count", value=1)
        return job

    def get_job(self, identity: Identity, job_id: str) -> AssistantJob:
        identity.require(Role.VIEWER)
        return self._jobs.find(identity.tenant_id, job_id)

    def cancel_job(self, identity: Identity, job_id: str) -> AssistantJob:
        """Only a ``queued`` job can be cancelled; the worker then skips it."""
        identity.require(Role.MEMBER)
        job = self._jobs.find(identity.tenant_id, job_id)
        if job.status is not JobStatus.QUEUED:
            raise InvalidTransitionError(
                f"a {job.status.value} job cannot be cancelled", {"status": job.status.value}
            )
        cancelled = job.model_copy(
            update={"status": JobStatus.CANCELLED, "version": next_version(job), "updated_at": self._clock()}
        )
        event = job_event(cancelled, job, "cancelled", identity.user_id, self._clock(), self._new_id)
        self._jobs.save(cancelled, job.version, events=[event])
        return cancelled

    def _check_ad_hoc_prompt(self, plan: JobPlan, bundle: Bundle, task: Task | None) -> None:
        """An ad-hoc prompt is rendered against the bundle as it is now: a variable it cannot fill (a
        typo, an output no task produced) is refused at creation instead of failing the job later."""
        outputs = latest_outputs(self._jobs.list_bundle_jobs(bundle.tenant_id, bundle.bundle_id))
        try:
            render_prompt(plan, render_context(bundle, task, outputs))
        except MissingVariableError as exc:
            raise ValidationFailedError(
                f"input.prompt cannot be rendered: {exc}", {"field": "input.prompt", "variable": exc.variable}
            ) from exc
