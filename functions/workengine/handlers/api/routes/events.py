"""``/events`` route: the HTTP door of event-triggered bundles (a CRM webhook cannot write to EventBridge)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from workengine.domain.identity import Identity
from workengine.handlers.api import dependencies as deps
from workengine.handlers.api.event_schemas import EventBody, TriggeredBundles, TriggeredBundleView
from workengine.observability import metrics

router = Router()

Caller = Annotated[Identity, Depends(deps.current_identity)]


@router.post("/events", status_code=202, summary="Deliver an event that starts bundles (member)")
def post_event(body: Annotated[EventBody, Body()], identity: Caller) -> TriggeredBundles:
    """Starts a bundle of every template whose event trigger names ``detail_type``, in the caller's tenant,
    once per ``event_id`` and template: the same event again (or the same event arriving on the
    EventBridge bus) answers the same bundles and creates nothing. A detail that does not fit a template
    (anchor date missing or not ``YYYY-MM-DD``, invalid inputs or assignees) answers 422 naming the field
    (``detail.<field>``), creates no bundle and leaves an ``automation_failure`` reminder for the
    tenant's admins (``recipient`` ``role:admin``); a detail type no template declares answers 422
    (``details.field`` ``detail_type``). Member or admin."""
    bundles = deps.event_trigger_service().receive(identity, body.event_id, body.detail_type, body.detail)
    metrics.add_metric(name="EventBundles_created", unit="Count", value=sum(b.created for b in bundles))
    return TriggeredBundles(
        bundles=[TriggeredBundleView(bundle_id=b.bundle_id, template_id=b.template_id) for b in bundles]
    )
