"""``/reminders`` routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from workengine.domain.enums import ReminderKind
from workengine.domain.identity import Identity
from workengine.handlers.api import dependencies as deps
from workengine.handlers.api.reminder_schemas import PatchReminderBody, ReminderEnvelope, ReminderPage
from workengine.handlers.api.schemas import NEXT_TOKEN_PATTERN

router = Router()

Caller = Annotated[Identity, Depends(deps.current_identity)]


@router.get(
    "/reminders",
    summary="Reminders of the tenant (newest first) or of one bundle, by kind and recipient ('me')",
)
def list_reminders(
    identity: Caller,
    bundle_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    kind: Annotated[ReminderKind | None, Query()] = None,
    recipient: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    next_token: Annotated[str | None, Query(max_length=2048, pattern=NEXT_TOKEN_PATTERN)] = None,
) -> ReminderPage:
    """Reminders of the tenant (newest first) or of one bundle, by kind and by recipient (``me`` or a
    user ID); paged with ``limit`` and ``next_token``. Any role."""
    items, token = deps.reminder_service().list_reminders(
        identity, bundle_id=bundle_id, kind=kind, limit=limit, next_token=next_token, recipient=recipient
    )
    return ReminderPage(items=items, next_token=token)


@router.patch("/reminders/<reminder_id>", summary="Acknowledge a reminder (its recipient or an admin)")
def patch_reminder(
    reminder_id: str, body: Annotated[PatchReminderBody, Body()], identity: Caller
) -> ReminderEnvelope:
    """Sets a reminder's status to ``acknowledged``. Its recipient or an admin."""
    return ReminderEnvelope(reminder=deps.reminder_service().set_status(identity, reminder_id, body.status))
