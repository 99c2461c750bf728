"""SQS assistant-job worker: Powertools batch processing, so only failed records return to the queue."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from workengine.composition import container
from workengine.observability import logger, metrics

processor = BatchProcessor(event_type=EventType.SQS)


class MalformedJobMessage(ValueError):
    """The message is not ``{"tenant_id", "bundle_id", "job_id"}``."""


def parse_message(body: str) -> tuple[str, str, str]:
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise MalformedJobMessage("the message body is not JSON") from exc
    values = [
        data.get(name) if isinstance(data, dict) else None for name in ("tenant_id", "bundle_id", "job_id")
    ]
    if not all(isinstance(value, str) and value for value in values):
        raise MalformedJobMessage("the message needs tenant_id, bundle_id and job_id")
    tenant_id, bundle_id, job_id = (str(value) for value in values)
    return tenant_id, bundle_id, job_id


def record_handler(record: SQSRecord) -> str:
    """Runs one job; raising reports only this record in ``batchItemFailures``."""
    tenant_id, bundle_id, job_id = parse_message(record.body)
    logger.append_keys(tenant_id=tenant_id, bundle_id=bundle_id, job_id=job_id)
    job = container().job_runner.run_job(tenant_id, bundle_id, job_id)
    return job.status.value


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
