"""``/attention`` route."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query

from workengine.domain.identity import Identity
from workengine.handlers.api import dependencies as deps
from workengine.handlers.api.attention_schemas import AttentionEntry, AttentionList
from workengine.services.attention_service import AttentionScope

router = Router()

Caller = Annotated[Identity, Depends(deps.current_identity)]


@router.get("/attention", summary="Open work ranked by what needs action now (the caller's, or the tenant's)")
def list_attention(
    identity: Caller,
    scope: Annotated[AttentionScope, Query()] = AttentionScope.ME,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AttentionList:
    """The caller's open tasks (assigned or escalated to them), highest attention score first, each
    with its ``reasons``: days overdue, tasks it blocks, follow-up due, evidence missing near the due
    date, escalations, a bundle stage behind its dates (docs/insight.md). Snoozed tasks are left out.
    ``scope=tenant`` ranks every open task of the tenant's active bundles (admin only, else 403
    ``FORBIDDEN``). At most ``limit`` items. Any role."""
    items = deps.attention_service().attention(identity, scope, limit=limit)
    return AttentionList(items=[AttentionEntry.of(item) for item in items])
