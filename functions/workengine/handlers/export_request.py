"""The export worker's event, ``{tenant_id, export_id}`` (``POST /exports`` invokes the worker with it).

A module of its own: the worker's module imports no pydantic model, so its cold import leaves pydantic's
model machinery (~50 ms) to the first invocation, which needs it for the export service anyway
(decision log, 2026-12-02).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ExportRequest(BaseModel):
    model_config = ConfigDict(defer_build=True)
    tenant_id: str = Field(min_length=1)
    export_id: str = Field(min_length=1)
