"""The notifier Lambda (SQS ← EventBridge rule on ``ReminderCreated``): emails each reminder to its
recipient through SES, or records why not. Powertools batch processing: a record whose delivery must be
retried (DynamoDB or SES busy) alone returns to the queue; past the receive limit it parks in the DLQ.
A malformed message is recorded as failed by raising too, so it ends in the DLQ rather than vanishing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from workengine.observability import logger, metrics
from workengine.services.notification_service import MalformedReminderEvent, parse_reminder

processor = BatchProcessor(event_type=EventType.SQS)
__all__ = ["MalformedReminderEvent", "lambda_handler", "parse_reminder"]


def record_handler(record: SQSRecord) -> str:
    from workengine.composition import container

    reminder = parse_reminder(record.body)
    logger.append_keys(
        tenant_id=reminder.tenant_id, bundle_id=reminder.bundle_id, reminder_id=reminder.reminder_id
    )
    outcome = container().notifications.deliver(reminder, datetime.now(UTC))
    return outcome.status.value if outcome.status else "already_handled"


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
