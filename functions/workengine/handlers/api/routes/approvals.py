"""``/tasks/{task_id}/approvals`` route."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from workengine.domain.identity import Identity
from workengine.handlers.api import dependencies as deps
from workengine.handlers.api.task_workflow_schemas import ApprovalBody, ApprovalEnvelope
from workengine.observability import metrics

router = Router()

Caller = Annotated[Identity, Depends(deps.current_identity)]


@router.post(
    "/tasks/<task_id>/approvals",
    status_code=201,
    summary="Approve or reject a task that has an approval step",
)
def decide_approval(
    task_id: str, body: Annotated[ApprovalBody, Body()], identity: Caller
) -> ApprovalEnvelope:
    """Records the caller's decision on a task with an approval step. Only a resolved approver decides
    (403 ``NOT_AN_APPROVER``), the assignee only when the step allows it (403 ``SELF_APPROVAL``), once per
    round (409 ``ALREADY_DECIDED``), after the task's dependencies are finished (422
    ``INVALID_TRANSITION``); a rejection needs a comment. ``required`` approvals complete the task; a
    rejection with ``on_reject`` reopens that task for rework. Member or admin."""
    approval, task = deps.approval_service().decide(identity, task_id, body.decision, body.comment)
    metrics.add_metric(name=f"Approval_{body.decision.value}", unit="Count", value=1)
    return ApprovalEnvelope(approval=approval, task=task)
