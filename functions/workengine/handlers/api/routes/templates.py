"""``/templates`` routes (read-only: templates are Git-backed and never edited through the API)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends

from workengine.domain.identity import Identity
from workengine.handlers.api import dependencies as deps
from workengine.handlers.api.schemas import TemplateDetail, TemplateList

router = Router()

Caller = Annotated[Identity, Depends(deps.current_identity)]


@router.get("/templates", summary="Workflow templates of the catalog")
def list_templates(identity: Caller) -> TemplateList:
    """Every template of the catalog, summarised (phases, triggers, task count). Any role."""
    return TemplateList(items=deps.template_service().list_templates(identity))


@router.get("/templates/<template_id>", summary="One template, in full")
def get_template(template_id: str, identity: Caller) -> TemplateDetail:  # type: ignore[valid-type]
    """The full current definition of a template: phases, task definitions, triggers, assistant steps,
    and ``pinned_version`` (what a bundle created now records as ``template_version``). Any role."""
    return TemplateDetail.model_validate(deps.template_service().get_template(identity, template_id))
