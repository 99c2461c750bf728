"""The sweep worker Lambda (SQS): sweeps one shard of the due index per message, from the message's
cursor, until the shard is drained or the invocation's time runs low; the remainder goes back on the
queue as a new message (batch size 1, so a failure retries just that message and, past the queue's
receive limit, parks it in the DLQ). The message model (pydantic's model machinery, ~50 ms) loads with
the first invocation, like the sweep service (decision log, 2026-12-02)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from workengine.composition import container
from workengine.handlers.sweep import lambda_budget
from workengine.observability import logger, metrics


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from workengine.domain.sweep_shards import ShardWork

    wiring = container()
    settings, service = wiring.settings, wiring.sweep_service
    reports = []
    for record in event.get("Records", []):
        work = ShardWork.model_validate_json(record["body"])
        logger.append_keys(shard=work.shard, handovers=work.handovers)
        reports.append(service.sweep_shard(work, lambda_budget(context, settings)).as_dict())
    return {"shards": reports}
