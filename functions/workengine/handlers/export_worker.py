"""The export runner Lambda: invoked asynchronously by ``POST /exports`` with ``{tenant_id, export_id}``."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from workengine.composition import container
from workengine.observability import logger, metrics


class ExportRequest(BaseModel):
    model_config = ConfigDict(defer_build=True)
    tenant_id: str = Field(min_length=1)
    export_id: str = Field(min_length=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = ExportRequest.model_validate(event)
    logger.append_keys(tenant_id=request.tenant_id, export_id=request.export_id)
    run = container().export_service.run_export(request.tenant_id, request.export_id)
    return {"export_id": run.export_id, "status": run.status.value, "counts": run.counts}
