"""The sweep's work queue (SQS): shard work handed from the schedule to workers and between workers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from workengine.domain.errors import ServiceUnavailableError
from workengine.services.sweep_work import ShardWork

SEND_BATCH = 10  # SendMessageBatch takes at most 10 entries


class SqsSweepQueue:
    """Sends ``ShardWork`` as JSON messages. Raises ServiceUnavailableError when SQS refuses a message
    (the invocation then fails and is retried, which is safe: sweep writes are conditional)."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def hand_over(self, work: Sequence[ShardWork]) -> None:
        for start in range(0, len(work), SEND_BATCH):
            batch = work[start : start + SEND_BATCH]
            entries = [{"Id": str(i), "MessageBody": item.model_dump_json()} for i, item in enumerate(batch)]
            try:
                response = self._client.send_message_batch(QueueUrl=self._url, Entries=entries)
            except (ClientError, BotoCoreError) as exc:
                raise ServiceUnavailableError("the sweep queue is unavailable") from exc
            if response.get("Failed"):
                raise ServiceUnavailableError(
                    "the sweep queue refused work", {"failed": [f.get("Code") for f in response["Failed"]]}
                )
