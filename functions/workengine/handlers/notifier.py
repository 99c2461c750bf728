"""The notifier Lambda (SQS ← EventBridge rule on ``ReminderCreated``): emails each reminder to its
recipient through SES, or records why not. Powertools batch processing: a record whose delivery must be
retried (DynamoDB or SES busy) alone returns to the queue; past the receive limit it parks in the DLQ.
A malformed message is recorded as failed by raising too, so it ends in the DLQ rather than vanishing.

The reminder model and the notification service load with the first record (the reminder's parsing is
the service's), not with the module: decision log, 2026-12-02."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from workengine.composition import container
from workengine.observability import logger, metrics

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> str:
    """Raises MalformedReminderEvent (the record alone is reported failed) when the body is no reminder."""
    from workengine.services.notification_service import parse_reminder

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
