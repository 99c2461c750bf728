"""``/showcases`` route: seed a showcase (bundles with their history) into the caller's tenant, once."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from pydantic import BaseModel, Field

from workengine.domain.identity import Identity
from workengine.handlers.api import dependencies as deps

router = Router()

Caller = Annotated[Identity, Depends(deps.current_identity)]


class ShowcaseMetrics(BaseModel):
    execution_ms: int = Field(description="How long the request took, in milliseconds.")
    timestamp: str = Field(description="When the request finished (UTC, ISO 8601).")


class ShowcaseEntry(BaseModel):
    bundles: int = Field(description="Bundles this request created for the showcase (0 when already seeded).")
    tasks: int = Field(description="Tasks of the bundles this request created.")
    completed_tasks: int = Field(description="Of those tasks, the ones done (with their proof).")
    artifacts: int = Field(description="Artifacts uploaded through the artifact flow (generated PDFs, PNGs).")
    assistant_jobs: int = Field(description="Assistant jobs run for the showcase's tasks.")
    reminders: int = Field(description="Reminders of the showcase's bundles (sweep, approvals, escalations).")
    comments: int = Field(description="Comments written on the showcase's tasks.")
    status: Literal["seeded", "already_seeded"] = Field(
        description="``seeded`` (created now) or ``already_seeded`` (nothing created)."
    )
    bundle_ids: list[str] = Field(description="The showcase's bundles (also when already seeded).")


class ShowcaseSummary(BaseModel):
    success: bool = Field(description="False when an earlier run of a showcase did not finish.")
    message: str = Field(description="What happened, per showcase, in one sentence.")
    metrics: ShowcaseMetrics = Field(description="How long the request took and when it finished.")
    showcases: dict[str, ShowcaseEntry] = Field(
        description="Per showcase name: what it holds and its status."
    )
    next_steps: list[str] = Field(description="Where to look next: tokens, routes and commands.")


@router.post("/showcases/<name>", summary="Seed a showcase with its history into the tenant, once (admin)")
def seed_showcase(name: str, identity: Caller) -> ShowcaseSummary:
    """Seeds ``ev-charging``, ``global-hcm``, ``renewal-journey`` or ``all`` into the caller's tenant through
    the engine's own services (completed tasks with proof, fields, approvals, assistant outputs, artifacts,
    comments, snoozes, escalations, reminders). Once per tenant and showcase: a second request answers
    ``already_seeded`` and creates nothing. Unknown names answer 404. Admin only."""
    run = deps.showcase_service().seed(identity, name)
    return ShowcaseSummary.model_validate(run.as_dict())
