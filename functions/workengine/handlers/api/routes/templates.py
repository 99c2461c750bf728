"""``/templates`` routes (read-only: templates are Git-backed and never edited through the API)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query

from workengine.domain.identity import Identity
from workengine.handlers.api import dependencies as deps
from workengine.handlers.api.schemas import TemplateDetail, TemplateList
from workengine.handlers.api.stats_schemas import DriftView, TemplateStatsView

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


# A pinned version is the template's declared version, "+", and a content hash prefix.
TEMPLATE_VERSION_PATTERN = r"^[A-Za-z0-9._+-]{1,128}$"


@router.get("/templates/<template_id>/stats", summary="How runs of a template perform")
def get_template_stats(
    template_id: str,  # type: ignore[valid-type]
    identity: Caller,
    template_version: Annotated[str | None, Query(pattern=TEMPLATE_VERSION_PATTERN)] = None,
) -> TemplateStatsView:
    """The caller's tenant's runs of the template (all versions, or one ``template_version``): started,
    active, completed and cancelled; cycle time p50/p90 in days; per task key completions, median days to
    complete and overdue rate; the bottleneck. Kept up to date from the table's change stream (seconds
    behind a change), never computed by scanning bundles; docs/insight.md explains each figure. Any role."""
    return TemplateStatsView.of(deps.template_stats_service().stats(identity, template_id, template_version))


@router.get("/templates/<template_id>/drift", summary="Where active bundles drift from the template")
def get_template_drift(template_id: str, identity: Caller) -> DriftView:  # type: ignore[valid-type]
    """Active bundles grouped by the template version they run on, with the task keys added, removed and
    changed between each pinned definition and the current one. The current version is always listed
    first. Counts come from the statistics counters (seconds behind a change). Any role."""
    return DriftView.of(deps.drift_service().drift(identity, template_id))
