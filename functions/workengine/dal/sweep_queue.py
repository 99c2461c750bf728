"""The sweep's work queue (SQS): shard work handed from the schedule to workers and between workers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from workengine.domain.errors import ServiceUnavailableError
from workengine.domain.sweep_shards import ShardWork


class SqsSweepQueue:
    """Sends each ``ShardWork`` as a JSON message (at most one per due-index shard per run, so one
    SendMessage each keeps the grant the plain ``sqs:SendMessage``). Raises ServiceUnavailableError when
    SQS refuses (the invocation then fails and is retried, which is safe: sweep writes are conditional)."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def hand_over(self, work: Sequence[ShardWork]) -> None:
        for item in work:
            try:
                self._client.send_message(QueueUrl=self._url, MessageBody=item.model_dump_json())
            except (ClientError, BotoCoreError) as exc:
                raise ServiceUnavailableError("the sweep queue is unavailable") from exc
