"""``/schedules`` routes: recurring workflows per tenant."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from workengine.domain.identity import Identity
from workengine.handlers.api import dependencies as deps
from workengine.handlers.api.reminder_schemas import (
    PutScheduleBody,
    ScheduleEnvelope,
    ScheduleList,
    ScheduleView,
)
from workengine.services.schedule_service import ScheduleRequest

router = Router()

Caller = Annotated[Identity, Depends(deps.current_identity)]


@router.get("/schedules", summary="The tenant's schedules of recurring templates")
def list_schedules(identity: Caller) -> ScheduleList:
    """Every schedule of the tenant with its next and last occurrence. Any role."""
    schedules = deps.schedule_service().list_schedules(identity)
    return ScheduleList(items=[ScheduleView.model_validate(s.model_dump()) for s in schedules])


@router.put("/schedules/<template_id>", summary="Enable or disable a template's schedule (admin)")
def put_schedule(
    template_id: str, body: Annotated[PutScheduleBody, Body()], identity: Caller
) -> ScheduleEnvelope:
    """Enables or disables the schedule trigger of a template for the tenant, with the assignees,
    references and tags each occurrence's bundle gets. Admin only."""
    schedule = deps.schedule_service().put_schedule(
        identity,
        template_id,
        ScheduleRequest(
            enabled=body.enabled, assignees=body.assignees, references=body.references, tags=body.tags
        ),
    )
    return ScheduleEnvelope(schedule=ScheduleView.model_validate(schedule.model_dump()))
