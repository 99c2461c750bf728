"""Assistant jobs, the pure part: which kinds exist, the prompt's render context, strict rendering and
output validation against the step's JSON Schema.

Kinds:
- ``task_step``: runs the ``assistant`` step of the task's template definition (``task_id`` required).
- ``summarize_bundle``: ad hoc; ``input.prompt`` (a template over ``bundle``, ``outputs`` and, when a
  ``task_id`` is given, ``task``) and optional ``input.output_schema`` (default: ``{"text": string}``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workengine.domain.entities import AssistantJob, Bundle, Task
from workengine.domain.enums import JobKind, JobStatus
from workengine.domain.errors import ValidationFailedError
from workengine.domain.output_schema import check_output_schema
from workengine.domain.rendering import render_strict
from workengine.domain.template import AssistantStep

TASK_STEP = JobKind.TASK_STEP
SUMMARIZE_BUNDLE = JobKind.SUMMARIZE_BUNDLE
AD_HOC_KINDS = frozenset({SUMMARIZE_BUNDLE})
JOB_KINDS = frozenset({TASK_STEP}) | AD_HOC_KINDS
MAX_PROMPT_CHARS = 20_000
DEFAULT_OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"text": {"type": "string"}},
    "required": ["text"],
}


@dataclass(frozen=True)
class JobPlan:
    """What a job runs: the prompt template, the schema its output must satisfy, and where the output
    goes (``fill_proof_comment`` names the output property copied into the task's proof comment)."""

    prompt_template: str
    output_schema: dict[str, Any]
    fill_proof_comment: str | None = None


def plan_for_step(step: AssistantStep) -> JobPlan:
    return JobPlan(step.prompt, dict(step.output_schema), step.fill_proof_comment)


def plan_for_ad_hoc(kind: JobKind, job_input: Mapping[str, Any]) -> JobPlan:
    """Raises ValidationFailedError when ``input`` lacks a prompt or carries an unusable schema."""
    if kind not in AD_HOC_KINDS:
        raise ValidationFailedError(
            f"unknown job kind {kind!r}", {"field": "kind", "known": sorted(JOB_KINDS)}
        )
    prompt = job_input.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValidationFailedError(f"a {kind} job needs input.prompt", {"field": "input.prompt"})
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValidationFailedError(
            f"input.prompt is longer than {MAX_PROMPT_CHARS} characters", {"field": "input.prompt"}
        )
    schema = job_input.get("output_schema", DEFAULT_OUTPUT_SCHEMA)
    if not isinstance(schema, Mapping):
        raise ValidationFailedError("input.output_schema must be an object", {"field": "input.output_schema"})
    problems = check_output_schema(schema)
    if problems:
        raise ValidationFailedError(
            "input.output_schema is not usable", {"field": "input.output_schema", "problems": problems}
        )
    return JobPlan(prompt, dict(schema))


def latest_outputs(jobs: Iterable[AssistantJob]) -> dict[str, dict[str, Any]]:
    """``outputs.<task_key>``: the output of the newest succeeded ``task_step`` job of each task key."""
    newest: dict[str, AssistantJob] = {}
    for job in jobs:
        if job.kind != TASK_STEP or job.status is not JobStatus.SUCCEEDED or job.output is None:
            continue
        key = job.template_task_ref
        if key is None:
            continue
        current = newest.get(key)
        if current is None or (job.updated_at, job.job_id) > (current.updated_at, current.job_id):
            newest[key] = job
    return {key: dict(job.output or {}) for key, job in newest.items()}


def render_context(
    bundle: Bundle,
    task: Task | None,
    outputs: Mapping[str, Mapping[str, Any]],
    tasks: Iterable[Task] = (),
) -> dict[str, Any]:
    """``bundle`` and ``task`` as their fields (dates stay dates so filters work), ``outputs`` by key,
    ``inputs`` (the bundle's kick-off values) and ``tasks.<key>`` (``status``, ``fields``, ``outputs``)."""
    context: dict[str, Any] = {
        "bundle": bundle.model_dump(),
        "outputs": dict(outputs),
        "inputs": dict(bundle.inputs),
        "tasks": task_data(tasks, outputs),
    }
    if task is not None:
        context["task"] = task.model_dump()
    return context


def task_data(tasks: Iterable[Task], outputs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``tasks.<key>`` as prompts and conditions see it."""
    return {
        task.template_task_ref: {
            "status": task.status.value,
            "fields": dict(task.fields),
            "outputs": dict(outputs.get(task.template_task_ref, {})),
        }
        for task in tasks
    }


def render_prompt(plan: JobPlan, context: Mapping[str, Any]) -> str:
    """Raises MissingVariableError (``.variable`` names the path) for any variable it cannot fill."""
    return render_strict(plan.prompt_template, context)


def output_problems(output: Any, schema: Mapping[str, Any]) -> list[str]:
    """Why ``output`` does not satisfy ``schema`` (empty when it does)."""
    # Imported here: only the job worker validates outputs, and jsonschema costs ~100 ms of cold start.
    from jsonschema import Draft202012Validator
    from jsonschema.validators import validator_for

    validator_class = validator_for(dict(schema), default=Draft202012Validator)
    validator = validator_class(dict(schema))
    problems = []
    for error in sorted(validator.iter_errors(output), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(part) for part in error.absolute_path)
        problems.append(f"{where or '(root)'}: {error.message}")
    return problems
