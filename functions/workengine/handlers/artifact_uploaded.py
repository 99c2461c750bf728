"""EventBridge "Object Created" (source ``aws.s3``) → check the upload against its artifact metadata."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from workengine.composition import container
from workengine.observability import logger, metrics


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    detail = event.detail
    bucket = str(detail.get("bucket", {}).get("name", ""))
    key = str(detail.get("object", {}).get("key", ""))
    version_id = detail.get("object", {}).get("version-id")
    outcome = container().artifact_service.record_upload(bucket, key, str(version_id) if version_id else None)
    logger.info(
        "artifact upload checked",
        extra={"artifact_id": outcome.artifact_id, "status": outcome.status, "reason": outcome.reason},
    )
    if outcome.decided:
        metrics.add_metric(name=f"Artifact_{outcome.decided}", unit="Count", value=1)
    return {"status": outcome.status, "artifact_id": outcome.artifact_id, "reason": outcome.reason}
