"""Assistant jobs: create and enqueue, read, cancel, and run (the worker's side).

A run renders the prompt strictly, calls the provider with bounded exponential backoff on transient
errors, validates the output against the step's schema, stores it (it becomes ``outputs.<task_key>`` for
later prompts of the bundle and ``tasks.<key>.outputs`` for conditions) and may fill the task's proof
comment; the conditions reading that output are then re-evaluated. A final failure marks the job
``failed`` and leaves an ``automation_failure`` reminder for the bundle owner, in the same transaction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from workengine.catalog.loader import TemplateCatalog
from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.dal.job_repository import DynamoJobRepository
from workengine.dal.transactions import TransactionConflict, task_ref
from workengine.domain.assistant import (
    TASK_STEP,
    JobPlan,
    latest_outputs,
    output_problems,
    plan_for_ad_hoc,
    plan_for_step,
    render_context,
    render_prompt,
)
from workengine.domain.audit import audit_event
from workengine.domain.clock import Clock, utc_now
from workengine.domain.condition_rules import output_readers
from workengine.domain.entities import AssistantJob, AuditEvent, Bundle, Proof, Task
from workengine.domain.enums import EntityType, JobKind, JobStatus, ReminderKind, Role
from workengine.domain.errors import (
    InvalidTransitionError,
    ServiceUnavailableError,
    ValidationFailedError,
    WorkEngineError,
)
from workengine.domain.identity import Identity
from workengine.domain.ids import new_id
from workengine.domain.progress import require_open
from workengine.domain.reminder_factory import bundle_reminder
from workengine.domain.reminder_rules import reminder_id
from workengine.domain.rendering import MissingVariableError
from workengine.observability import logger, metrics
from workengine.services.assistant_providers import AssistantProvider, ProviderError, TransientProviderError
from workengine.services.condition_sweep import ConditionSweep
from workengine.services.pinned_definitions import PinnedDefinitions

SYSTEM_ACTOR = "system:assistant"
TASK_WRITE_RETRIES = 3
_FINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


class JobQueue(Protocol):
    def send(self, tenant_id: str, bundle_id: str, job_id: str) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` provider calls per run; the wait before attempt n+1 is ``base * 2**(n-1)``."""

    max_attempts: int = 4
    base_seconds: float = 1.0

    def delay(self, attempt: int) -> float:
        return float(self.base_seconds * (2 ** (attempt - 1)))


def automation_failure_reminder_id(job_id: str) -> str:
    """Deterministic, so a redelivered failure can never leave two reminders for one job."""
    return reminder_id(job_id, ReminderKind.AUTOMATION_FAILURE)


class JobService:
    """Raises NotFoundError (unknown or other tenants' bundles, tasks, jobs), ForbiddenError,
    ValidationFailedError (kind, task or input unusable), InvalidTransitionError (closed bundle,
    cancelling a job that already started) and ServiceUnavailableError (queue or database busy)."""

    def __init__(
        self,
        jobs: DynamoJobRepository,
        bundles: DynamoBundleRepository,
        catalog: TemplateCatalog,
        queue: JobQueue,
        provider: AssistantProvider,
        *,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock = utc_now,
        id_factory: Callable[[str], str] = new_id,
        definitions: PinnedDefinitions | None = None,
        conditions: ConditionSweep | None = None,
    ) -> None:
        self._jobs = jobs
        self._bundles = bundles
        self._definitions = definitions or PinnedDefinitions(catalog, bundles)
        self._conditions = conditions or ConditionSweep(bundles, self._definitions, id_factory=id_factory)
        self._queue = queue
        self._provider = provider
        self._retry = retry
        self._sleep = sleep
        self._clock = clock
        self._new_id = id_factory

    # ---- API side ---------------------------------------------------------------------------------
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
        plan = self._plan(kind, bundle, task, job_input)  # refuses now what would fail later
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
        self._jobs.create(job, self._event(job, None, "created", identity.user_id, now))
        try:
            self._queue.send(job.tenant_id, job.bundle_id, job.job_id)
        except ServiceUnavailableError:
            # Never leave a job "queued" that no worker will ever see.
            failed = job.model_copy(
                update={
                    "status": JobStatus.FAILED,
                    "error": "the job could not be queued",
                    "version": job.version + 1,
                    "updated_at": self._clock(),
                }
            )
            self._jobs.save(failed, job.version, events=[self._event(failed, job, "failed", SYSTEM_ACTOR)])
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
            update={"status": JobStatus.CANCELLED, "version": job.version + 1, "updated_at": self._clock()}
        )
        self._jobs.save(
            cancelled, job.version, events=[self._event(cancelled, job, "cancelled", identity.user_id)]
        )
        return cancelled

    # ---- worker side ------------------------------------------------------------------------------
    def run_job(self, tenant_id: str, bundle_id: str, job_id: str) -> AssistantJob:
        """Runs a job to ``succeeded`` or ``failed`` and returns it. A job already finished (a
        redelivered message) or cancelled is returned unchanged. Raises only for infrastructure
        failures (ServiceUnavailableError, NotFoundError for a vanished job), so the message is retried."""
        job = self._jobs.get(tenant_id, bundle_id, job_id)
        if job.status in _FINAL:
            return job
        running = job.model_copy(
            update={"status": JobStatus.RUNNING, "version": job.version + 1, "updated_at": self._clock()}
        )
        try:
            self._jobs.save(running, job.version)
        except TransactionConflict:
            logger.info("job taken by another worker or cancelled", extra={"job_id": job_id})
            return self._jobs.get(tenant_id, bundle_id, job_id)

        bundle, tasks = self._bundles.get_bundle_with_tasks(tenant_id, bundle_id)
        task = next((t for t in tasks if t.task_id == job.task_id), None) if job.task_id else None
        try:
            plan = self._plan(job.kind, bundle, task, job.input)
            outputs = latest_outputs(self._jobs.list_bundle_jobs(tenant_id, bundle_id))
            prompt = render_prompt(plan, render_context(bundle, task, outputs, tasks))
        except MissingVariableError as exc:
            return self._fail(running, bundle, f"prompt variable {exc.variable!r} is missing: {exc}", 0)
        except WorkEngineError as exc:
            return self._fail(running, bundle, exc.message, 0)

        output, attempts, error = self._call_provider(prompt, plan)
        if output is None:
            return self._fail(running, bundle, error or "the assistant failed", attempts, prompt)
        problems = output_problems(output, plan.output_schema)
        if problems:
            message = "the output does not match the output schema: " + "; ".join(problems[:5])
            return self._fail(running, bundle, message, attempts, prompt)
        done = self._succeed(running, task, plan, output, attempts, prompt)
        self._reevaluate_conditions(bundle, done)
        return done

    def _reevaluate_conditions(self, bundle: Bundle, job: AssistantJob) -> None:
        """A new output of a task re-evaluates the conditions reading ``tasks.<key>.outputs`` (after the
        job is stored: a conflict here is retried, and a lasting one is logged, never fails the job)."""
        key = job.template_task_ref
        definition = self._definitions.find(bundle) if key else None
        if key is None or definition is None or key not in output_readers(definition):
            return
        for attempt in range(TASK_WRITE_RETRIES + 1):
            try:
                self._conditions.reevaluate_bundle(
                    job.tenant_id, job.bundle_id, self._clock(), changed_keys={key}
                )
                return
            except (TransactionConflict, ServiceUnavailableError):
                if attempt == TASK_WRITE_RETRIES:
                    logger.warning(
                        "conditions reading a new output left for the next change",
                        extra={"job_id": job.job_id, "bundle_id": job.bundle_id},
                    )

    def _call_provider(self, prompt: str, plan: JobPlan) -> tuple[dict[str, Any] | None, int, str | None]:
        last_error = ""
        for attempt in range(1, self._retry.max_attempts + 1):
            try:
                return self._provider.generate(prompt, plan.output_schema), attempt, None
            except TransientProviderError as exc:
                last_error = str(exc)
                logger.warning("transient assistant error", extra={"attempt": attempt, "error": last_error})
                if attempt < self._retry.max_attempts:
                    self._sleep(self._retry.delay(attempt))
            except ProviderError as exc:
                return None, attempt, str(exc)
        return (
            None,
            self._retry.max_attempts,
            (f"the assistant failed {self._retry.max_attempts} times with a transient error: {last_error}"),
        )

    def _succeed(
        self,
        running: AssistantJob,
        task: Task | None,
        plan: JobPlan,
        output: dict[str, Any],
        attempts: int,
        prompt: str,
    ) -> AssistantJob:
        now = self._clock()
        done = running.model_copy(
            update={
                "status": JobStatus.SUCCEEDED,
                "output": output,
                "prompt": prompt,
                "attempts": attempts,
                "error": None,
                "version": running.version + 1,
                "updated_at": now,
            }
        )
        events = [self._event(done, running, "succeeded", SYSTEM_ACTOR, now)]
        for attempt in range(TASK_WRITE_RETRIES + 1):
            task_write = self._proof_comment_write(task, plan, output, now)
            task_events = [self._task_event(task_write[1], task_write[0], now)] if task_write else []
            try:
                self._jobs.save(
                    done,
                    running.version,
                    events=events + task_events,
                    task=(task_write[0], task_write[1].version) if task_write else None,
                )
                break
            except TransactionConflict as conflict:
                # Only a concurrent edit of the task can lose here; re-read it and try again.
                if task is None or conflict.on != task_ref(task.task_id) or attempt == TASK_WRITE_RETRIES:
                    raise
                task = self._bundles.find_task(task.tenant_id, task.task_id)
        metrics.add_metric(name="AssistantJobSucceeded", unit="Count", value=1)
        return done

    def _proof_comment_write(
        self, task: Task | None, plan: JobPlan, output: dict[str, Any], now: datetime
    ) -> tuple[Task, Task] | None:
        """(updated, original) when the step fills the proof comment of an open task that has none yet;
        a comment a person already wrote is never overwritten."""
        field = plan.fill_proof_comment
        if task is None or field is None or not task.is_open or (task.proof.comment or "").strip():
            return None
        value = output.get(field)
        if value is None:
            return None
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        proof = Proof.model_validate({**task.proof.model_dump(), "comment": text[:10_000]})
        updated = task.model_copy(update={"proof": proof, "version": task.version + 1, "updated_at": now})
        return updated, task

    def _fail(
        self,
        running: AssistantJob,
        bundle: Bundle,
        error: str,
        attempts: int,
        prompt: str | None = None,
    ) -> AssistantJob:
        now = self._clock()
        failed = running.model_copy(
            update={
                "status": JobStatus.FAILED,
                "error": error,
                "attempts": attempts,
                "prompt": prompt,
                "version": running.version + 1,
                "updated_at": now,
            }
        )
        reminder = bundle_reminder(
            running.tenant_id,
            running.bundle_id,
            ReminderKind.AUTOMATION_FAILURE,
            subject_id=running.job_id,
            task_id=running.task_id,
            fire_at=now,
            recipient=bundle.owner,
            message=f"Assistant job {running.job_id} ({running.kind}) failed: {error}",
            details={"job_id": running.job_id, "kind": running.kind, "error": error},
            created_at=now,
        )
        reminder_event = audit_event(
            entity_type=EntityType.REMINDER,
            entity_id=reminder.reminder_id,
            action="created",
            actor=SYSTEM_ACTOR,
            at=now,
            new_id=self._new_id,
            after=reminder,
        )
        self._jobs.save(
            failed,
            running.version,
            events=[self._event(failed, running, "failed", SYSTEM_ACTOR, now), reminder_event],
            reminder=reminder,
        )
        logger.warning("assistant job failed", extra={"job_id": running.job_id, "error": error})
        metrics.add_metric(name="AssistantJobFailed", unit="Count", value=1)
        return failed

    # ---- helpers ----------------------------------------------------------------------------------
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

    def _plan(self, kind: JobKind, bundle: Bundle, task: Task | None, job_input: dict[str, Any]) -> JobPlan:
        if kind != TASK_STEP:
            return plan_for_ad_hoc(kind, job_input)
        if task is None:
            raise ValidationFailedError("the job's task no longer exists", {"field": "task_id"})
        template = self._definitions.find(bundle)
        definition = template.task(task.template_task_ref) if template else None
        if definition is None or definition.assistant is None:
            raise ValidationFailedError(
                f"task {task.task_id!r} has no assistant step in template {bundle.template_id!r}",
                {"field": "task_id", "task_id": task.task_id},
            )
        return plan_for_step(definition.assistant)

    def _event(
        self,
        after: AssistantJob,
        before: AssistantJob | None,
        action: str,
        actor: str,
        at: datetime | None = None,
    ) -> AuditEvent:
        return audit_event(
            entity_type=EntityType.ASSISTANT_JOB,
            entity_id=after.job_id,
            action=action,
            actor=actor,
            at=at or self._clock(),
            new_id=self._new_id,
            before=before,
            after=after,
        )

    def _task_event(self, before: Task, after: Task, now: datetime) -> AuditEvent:
        return audit_event(
            entity_type=EntityType.TASK,
            entity_id=after.task_id,
            action="proof_filled_by_assistant",
            actor=SYSTEM_ACTOR,
            at=now,
            new_id=self._new_id,
            before=before,
            after=after,
        )
