"""Assistant jobs as the jobs worker runs them (the API requests them: ``services.job_requests``).

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
from typing import Any

from workengine.catalog.loader import TemplateCatalog
from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.dal.job_repository import DynamoJobRepository
from workengine.dal.transactions import TransactionConflict, task_ref
from workengine.domain.assistant import (
    JobPlan,
    latest_outputs,
    output_problems,
    render_context,
    render_prompt,
)
from workengine.domain.audit import audit_event
from workengine.domain.clock import Clock, utc_now
from workengine.domain.condition_rules import output_readers
from workengine.domain.entities import AssistantJob, AuditEvent, Bundle, Proof, Task
from workengine.domain.enums import EntityType, JobStatus, ReminderKind
from workengine.domain.errors import ServiceUnavailableError, WorkEngineError
from workengine.domain.ids import new_id
from workengine.domain.reminder_factory import bundle_reminder
from workengine.domain.rendering import MissingVariableError
from workengine.domain.versioning import next_version
from workengine.observability import logger, metrics
from workengine.services.assistant_providers import AssistantProvider, ProviderError, TransientProviderError
from workengine.services.condition_sweep import ConditionSweep
from workengine.services.job_plans import SYSTEM_ACTOR, job_event, plan_job
from workengine.services.pinned_definitions import PinnedDefinitions

TASK_WRITE_RETRIES = 3
_FINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` provider calls per run; the wait before attempt n+1 is ``base * 2**(n-1)``."""

    max_attempts: int = 4
    base_seconds: float = 1.0

    def delay(self, attempt: int) -> float:
        return float(self.base_seconds * (2 ** (attempt - 1)))


class JobRunner:
    """Runs queued jobs. Raises only for infrastructure failures: ServiceUnavailableError (database
    busy) and NotFoundError (a vanished job), so the queue redelivers the message; everything a job
    itself gets wrong ends it ``failed``."""

    def __init__(
        self,
        jobs: DynamoJobRepository,
        bundles: DynamoBundleRepository,
        catalog: TemplateCatalog,
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
        self._provider = provider
        self._retry = retry
        self._sleep = sleep
        self._clock = clock
        self._new_id = id_factory

    def run_job(self, tenant_id: str, bundle_id: str, job_id: str) -> AssistantJob:
        """Runs a job to ``succeeded`` or ``failed`` and returns it. A job already finished (a
        redelivered message) or cancelled is returned unchanged."""
        job = self._jobs.get(tenant_id, bundle_id, job_id)
        if job.status in _FINAL:
            return job
        running = job.model_copy(
            update={"status": JobStatus.RUNNING, "version": next_version(job), "updated_at": self._clock()}
        )
        try:
            self._jobs.save(running, job.version)
        except TransactionConflict:
            logger.info("job taken by another worker or cancelled", extra={"job_id": job_id})
            return self._jobs.get(tenant_id, bundle_id, job_id)

        bundle, tasks = self._bundles.get_bundle_with_tasks(tenant_id, bundle_id)
        task = next((t for t in tasks if t.task_id == job.task_id), None) if job.task_id else None
        try:
            plan = plan_job(self._definitions, job.kind, bundle, task, job.input)
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
                "version": next_version(running),
                "updated_at": now,
            }
        )
        events = [job_event(done, running, "succeeded", SYSTEM_ACTOR, now, self._new_id)]
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
        updated = task.model_copy(update={"proof": proof, "version": next_version(task), "updated_at": now})
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
                "version": next_version(running),
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
            events=[job_event(failed, running, "failed", SYSTEM_ACTOR, now, self._new_id), reminder_event],
            reminder=reminder,
        )
        logger.warning("assistant job failed", extra={"job_id": running.job_id, "error": error})
        metrics.add_metric(name="AssistantJobFailed", unit="Count", value=1)
        return failed

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
