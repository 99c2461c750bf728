"""DynamoDB stream of the table → template statistics (``services/stats_aggregator.py``).

Powertools batch processing reports the first failing record in ``batchItemFailures``; the event source
mapping then delivers the shard again from that record, and records already counted are recognised by
their change ID (nothing is counted twice). Records of items other than bundles and tasks are skipped
(the mapping's filter drops most of them before they get here).
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from workengine.composition import container
from workengine.observability import logger, metrics

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> bool:
    """Counts one record's change; raising reports this record (and, in order, the rest) as failed."""
    wiring = container()
    change = wiring.stream_changes(record.raw_event)
    if change is None:
        return False
    counted = wiring.stats_aggregator.count(change)
    if counted:
        metrics.add_metric(name="Stats_change_counted", unit="Count", value=1)
    return counted


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, object], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
