"""``/me/preferences`` routes: the caller's own notification preferences."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from workengine.domain.identity import Identity
from workengine.handlers.api import dependencies as deps
from workengine.handlers.api.preference_schemas import PreferencesView, PutPreferencesBody

router = Router()

Caller = Annotated[Identity, Depends(deps.current_identity)]


@router.get("/me/preferences", summary="The caller's notification preferences (defaults until saved)")
def get_preferences(identity: Caller) -> PreferencesView:
    """The caller's notification preferences in this tenant: email address, channels, quiet hours, muted
    reminder kinds and daily digest. The defaults (version 0) until they save. Any role."""
    return PreferencesView.of(deps.preference_service().get(identity))


@router.put("/me/preferences", summary="Replace the caller's notification preferences")
def put_preferences(body: Annotated[PutPreferencesBody, Body()], identity: Caller) -> PreferencesView:
    """Replaces the caller's notification preferences. ``quiet_hours.time_zone`` must be an IANA name and
    ``muted_kinds`` reminder kinds (else 422); two saves racing answer 409 to the later one. Any role."""
    return PreferencesView.of(
        deps.preference_service().put(
            identity,
            email=body.email,
            channels=body.channels,
            quiet_hours=body.quiet_hours,
            muted_kinds=body.muted_kinds,
            digest=body.digest,
        )
    )
