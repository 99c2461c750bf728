"""``/tasks/{task_id}/approvals`` route."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from workengine.domain.identity import Identity
from workengine.handlers.api import dependencies as deps
from workengine.handlers.api.task_workflow_schemas import (
    ApprovalBody,
    ApprovalEnvelope,
    error_responses,
    json_response,
)
from workengine.observability import metrics

router = Router()

Caller = Annotated[Identity, Depends(deps.current_identity)]


@router.post(
    "/tasks/<task_id>/approvals",
    status_code=201,
    summary="Approve or reject a task that has an approval step",
    operation_id="decideTaskApproval",
    tags=["tasks", "approvals"],
    responses={
        201: json_response("The decision and the task after it", ApprovalEnvelope),
        **error_responses(
            s403="NOT_AN_APPROVER, SELF_APPROVAL or FORBIDDEN",
            s404="NOT_FOUND",
            s409="ALREADY_DECIDED or VERSION_CONFLICT",
            s422="VALIDATION_ERROR or INVALID_TRANSITION",
        ),
    },
)
def decide_approval(
    task_id: str, body: Annotated[ApprovalBody, Body()], identity: Caller
) -> Response[dict[str, Any]]:
    approval, task = deps.approval_service().decide(identity, task_id, body.decision, body.comment)
    metrics.add_metric(name=f"Approval_{body.decision.value}", unit="Count", value=1)
    return Response(
        status_code=201,
        content_type="application/json",
        body=ApprovalEnvelope(approval=approval, task=task).model_dump(mode="json"),
    )
