"""``/assistant-jobs`` routes."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
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
    responses={202: {"description": "Accepted", "content": {"application/json": {"model": JobEnvelope}}}},
)
def create_job(body: Annotated[CreateJobBody, Body()], identity: Caller) -> Response[dict[str, Any]]:
    job = deps.job_service().create_job(
        identity, bundle_id=body.bundle_id, kind=body.kind, task_id=body.task_id, job_input=body.input
    )
    return Response(
        status_code=202, content_type="application/json", body=JobEnvelope(job=job).model_dump(mode="json")
    )


@router.get("/assistant-jobs/<job_id>", summary="One assistant job")
def get_job(job_id: str, identity: Caller) -> JobEnvelope:
    return JobEnvelope(job=deps.job_service().get_job(identity, job_id))


@router.post("/assistant-jobs/<job_id>/cancel", summary="Cancel a queued assistant job")
def cancel_job(job_id: str, identity: Caller) -> JobEnvelope:
    return JobEnvelope(job=deps.job_service().cancel_job(identity, job_id))
