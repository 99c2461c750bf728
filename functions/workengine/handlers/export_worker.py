"""The export runner Lambda: invoked asynchronously by ``POST /exports`` with ``{tenant_id, export_id}``."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from workengine.composition import container
from workengine.observability import logger, metrics


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from workengine.handlers.export_request import ExportRequest

    request = ExportRequest.model_validate(event)
    logger.append_keys(tenant_id=request.tenant_id, export_id=request.export_id)
    run = container().export_service.run_export(request.tenant_id, request.export_id)
    return {"export_id": run.export_id, "status": run.status.value, "counts": run.counts}
