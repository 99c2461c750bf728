"""``/tasks`` routes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from workengine.domain.enums import TaskStatus
from workengine.domain.identity import Identity
from workengine.domain.task_rules import ProofChange, TaskChange
from workengine.handlers.api import dependencies as deps
from workengine.handlers.api.schemas import (
    NEXT_TOKEN_PATTERN,
    CommentBody,
    CommentEnvelope,
    CommentList,
    PatchTaskBody,
    TaskEnvelope,
    TaskPage,
)
from workengine.observability import metrics

router = Router()

Caller = Annotated[Identity, Depends(deps.current_identity)]


@router.get(
    "/tasks",
    summary="Tasks of an assignee ('me' by default) by status and due date, or escalated to someone; "
    "snoozed tasks only with include_snoozed=true",
)
def list_tasks(
    identity: Caller,
    assignee: Annotated[str, Query(min_length=1, max_length=128)] = "me",
    status: Annotated[TaskStatus | None, Query()] = None,
    due_before: Annotated[date | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    next_token: Annotated[str | None, Query(max_length=2048, pattern=NEXT_TOKEN_PATTERN)] = None,
    include_snoozed: Annotated[bool, Query()] = False,
    escalated_to: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
) -> TaskPage:
    """Tasks assigned to ``assignee`` (``me`` = the caller, or a user ID), by status and due date (before
    the given day); or, with ``escalated_to`` (``me`` or a user ID), the open tasks last escalated to that
    person. Snoozed tasks are left out unless ``include_snoozed=true``. Paged with ``limit`` and
    ``next_token``. Any role."""
    if escalated_to is not None:
        items, token = deps.task_action_service().list_escalated(
            identity, escalated_to, include_snoozed=include_snoozed, limit=limit, next_token=next_token
        )
        return TaskPage(items=items, next_token=token)
    items, token = deps.task_service().list_tasks(
        identity,
        assignee=assignee,
        status=status,
        due_before=due_before,
        limit=limit,
        next_token=next_token,
        include_snoozed=include_snoozed,
    )
    return TaskPage(items=items, next_token=token)


@router.get("/tasks/<task_id>", summary="One task")
def get_task(task_id: str, identity: Caller) -> TaskEnvelope:
    """One task, with its proof, dependencies and comment count. Any role."""
    return TaskEnvelope(task=deps.task_service().get_task(identity, task_id))


@router.patch("/tasks/<task_id>", summary="Change status, assignee, dates, waiting state or proof")
def patch_task(task_id: str, body: Annotated[PatchTaskBody, Body()], identity: Caller) -> TaskEnvelope:
    """Changes the fields sent. ``done`` needs every required proof (422 ``MISSING_PROOF``) and finished
    dependencies (422 ``INVALID_TRANSITION``); ``waiting`` needs ``waiting_for`` and ``follow_up_at``;
    a stale ``expected_version`` answers 409 ``VERSION_CONFLICT``. Member or admin."""
    sent = frozenset(body.model_fields_set - {"expected_version"})
    proof = ProofChange(fields=body.proof.model_dump(exclude_unset=True)) if body.proof is not None else None
    change = TaskChange(
        fields_set=sent,
        status=body.status,
        assignee=body.assignee,
        due_date=body.due_date,
        waiting_for=body.waiting_for,
        follow_up_at=body.follow_up_at,
        proof=proof,
        comment=body.comment,
        fields=body.fields,
        skip_reason=body.skip_reason,
    )
    task = deps.task_service().update_task(identity, task_id, change, body.expected_version)
    if "status" in sent:
        metrics.add_metric(name=f"TaskStatus_{task.status.value}", unit="Count", value=1)
    return TaskEnvelope(task=task)


@router.post("/tasks/<task_id>/comments", status_code=201, summary="Comment on a task")
def add_comment(task_id: str, body: Annotated[CommentBody, Body()], identity: Caller) -> CommentEnvelope:
    """Adds a comment to the task (and one audit event). Member or admin."""
    return CommentEnvelope(comment=deps.task_service().add_comment(identity, task_id, body.text))


@router.get("/tasks/<task_id>/comments", summary="Comments of a task, oldest first")
def list_comments(task_id: str, identity: Caller) -> CommentList:
    """Every comment of the task, oldest first. Any role."""
    return CommentList(items=deps.task_service().list_comments(identity, task_id))
