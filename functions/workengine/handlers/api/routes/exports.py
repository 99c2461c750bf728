"""``/exports`` routes: start a portable export of the caller's tenant (admin) and follow it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict

from workengine.domain.bounds import Flag
from workengine.domain.export_format import ExportRun, ExportStatus
from workengine.domain.identity import Identity
from workengine.handlers.api import dependencies as deps

router = Router()

Caller = Annotated[Identity, Depends(deps.current_identity)]


class StartExportBody(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    with_binaries: Flag = False


class ExportView(BaseModel):
    model_config = ConfigDict(defer_build=True)
    export_id: str
    tenant_id: str
    status: ExportStatus
    requested_by: str
    with_binaries: bool
    counts: dict[str, int]
    error: str | None
    manifest_url: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, run: ExportRun, manifest_url: str | None = None) -> ExportView:
        data = run.model_dump(exclude={"manifest_key", "version"})
        return cls(**data, manifest_url=manifest_url)


class ExportEnvelope(BaseModel):
    model_config = ConfigDict(defer_build=True)
    export: ExportView


@router.post("/exports", status_code=202, summary="Start a portable export of the tenant (admin)")
def start_export(identity: Caller, body: Annotated[StartExportBody | None, Body()] = None) -> ExportEnvelope:
    """Queues an export of the caller's tenant (manifest + JSON Lines per entity, see the export format);
    follow it with ``GET /exports/{export_id}``. Admin only."""
    run = deps.export_service().start_export(identity, with_binaries=bool(body and body.with_binaries))
    return ExportEnvelope(export=ExportView.of(run))


@router.get("/exports/<export_id>", summary="Status and counts of an export; the manifest URL once done")
def get_export(export_id: str, identity: Caller) -> ExportEnvelope:
    """Status and counts of an export; once ``succeeded``, a short-lived ``manifest_url``. Admin only."""
    run, url = deps.export_service().get_export(identity, export_id)
    return ExportEnvelope(export=ExportView.of(run, url))
