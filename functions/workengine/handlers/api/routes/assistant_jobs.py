"""``/assistant-jobs`` routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from workengine.domain.identity import Identity
from workengine.handlers.api import dependencies as deps
from workengine.handlers.api.artifact_job_schemas import CreateJobBody, JobEnvelope

router = Router()

Caller = Annotated[Identity, Depends(deps.current_identity)]


@router.post(
    "/assistant-jobs",
    status_code=202,
    summary="Queue an assistant job (task_step, or an ad-hoc kind such as summarize_bundle)",
)
def create_job(body: Annotated[CreateJobBody, Body()], identity: Caller) -> JobEnvelope:
    """Queues a job. ``task_step`` runs the assistant step of the task's definition (``task_id``
    required); ``summarize_bundle`` runs ``input.prompt`` (optional ``input.output_schema``). Member or
    admin."""
    job = deps.job_requests().create_job(
        identity, bundle_id=body.bundle_id, kind=body.kind, task_id=body.task_id, job_input=body.input
    )
    return JobEnvelope(job=job)


@router.get("/assistant-jobs/<job_id>", summary="One assistant job")
def get_job(job_id: str, identity: Caller) -> JobEnvelope:
    """One job: status, attempts, the rendered prompt, and the output once it succeeded. Any role."""
    return JobEnvelope(job=deps.job_requests().get_job(identity, job_id))


@router.post("/assistant-jobs/<job_id>/cancel", summary="Cancel a queued assistant job")
def cancel_job(job_id: str, identity: Caller) -> JobEnvelope:
    """Cancels a job that is still queued; a running or finished job answers 422
    ``INVALID_TRANSITION``. Member or admin."""
    return JobEnvelope(job=deps.job_requests().cancel_job(identity, job_id))
