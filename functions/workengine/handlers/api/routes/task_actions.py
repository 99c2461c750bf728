"""``/tasks/{task_id}/actions`` route: snooze, escalate, reassign, skip."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from workengine.domain.identity import Identity
from workengine.domain.task_actions import Escalate, Reassign, Skip, Snooze, TaskAction
from workengine.handlers.api import dependencies as deps
from workengine.handlers.api.schemas import TaskEnvelope
from workengine.handlers.api.task_workflow_schemas import (
    EscalateBody,
    ReassignBody,
    SnoozeBody,
    TaskActionBody,
)
from workengine.observability import metrics

router = Router()

Caller = Annotated[Identity, Depends(deps.current_identity)]


def to_action(body: TaskActionBody) -> TaskAction:
    if isinstance(body, SnoozeBody):
        return Snooze(until=body.until, reason=body.reason)
    if isinstance(body, EscalateBody):
        return Escalate(to=body.to, reason=body.reason)
    if isinstance(body, ReassignBody):
        return Reassign(to=body.to)
    return Skip(reason=body.reason)


@router.post("/tasks/<task_id>/actions", summary="Snooze, escalate, reassign or skip a task")
def act_on_task(task_id: str, body: Annotated[TaskActionBody, Body()], identity: Caller) -> TaskEnvelope:
    """One action on an open task (422 ``INVALID_TRANSITION`` on a done or skipped one), with one audit
    event: ``snooze`` until a time at most 90 days ahead (hidden from ``GET /tasks`` and silent until
    then); ``escalate`` to a role or ``user:<id>`` with a reason (an ``escalation`` reminder); ``reassign``
    to a role or ``user:<id>``; ``skip`` with a reason. Roles resolve through the bundle's assignees.
    Member or admin."""
    task = deps.task_action_service().act(identity, task_id, to_action(body))
    metrics.add_metric(name=f"TaskAction_{body.action}", unit="Count", value=1)
    return TaskEnvelope(task=task)
