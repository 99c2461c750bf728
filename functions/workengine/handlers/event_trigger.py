"""The trigger function (SQS, fed by the EventBridge rule that matches the detail types templates
declare): each record is one event; Powertools batch processing reports only the records that failed,
so a rejected event (or one that met an outage) returns to the queue and, past its receive limit, parks
in the dead-letter queue while the rest of the batch is done."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from workengine.composition import container
from workengine.domain.bus_events import EventRejectedError, bus_event
from workengine.observability import logger, metrics

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> str:
    """Raising reports just this record in ``batchItemFailures``."""
    try:
        envelope = json.loads(record.body)
    except json.JSONDecodeError as exc:
        raise EventRejectedError("the message body is not JSON", {"field": "body"}) from exc
    if not isinstance(envelope, dict):
        raise EventRejectedError("the message body is not an EventBridge event", {"field": "body"})
    event = bus_event(envelope)
    logger.append_keys(tenant_id=event.tenant_id, event_id=event.event_id, detail_type=event.detail_type)
    try:
        outcome = container().event_trigger_service.deliver(event)
    except EventRejectedError:
        metrics.add_metric(name="EventTrigger_rejected", unit="Count", value=1)
        raise
    created = sum(bundle.created for bundle in outcome.bundles)
    metrics.add_metric(name="EventBundles_created", unit="Count", value=created)
    logger.info(
        "event delivered",
        extra={"bundle_ids": [b.bundle_id for b in outcome.bundles], "bundles_created": created},
    )
    return f"{created} created"


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
