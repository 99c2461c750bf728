"""The local server's stand-in for the DynamoDB stream → Lambda event source mapping.

moto emulates DynamoDB Streams; this drain reads every shard of the table's stream from its start,
hands the records (shaped as Lambda receives them) to ``stats_aggregator.lambda_handler`` in batches,
and, as the event source mapping does with ``ReportBatchItemFailures``, delivers a batch again from its
first failed record (a record failing ``MAX_LOCAL_ATTEMPTS`` times is dropped and logged, where AWS
would send it to the on-failure destination).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from workengine.dal.aws import client, streams_client
from workengine.observability import logger
from workengine.settings import Settings
from workengine_tools.local.events import LocalLambdaContext

BATCH_SIZE = 100
MAX_LOCAL_ATTEMPTS = 5
POLL_SECONDS = 0.3

Handler = Callable[[dict[str, Any], Any], Any]


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A ``GetRecords`` record as the event source mapping passes it to Lambda (epoch-second creation
    time, the stream's ARN as event source)."""
    data = dict(record["dynamodb"])
    created = data.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        data["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": data, "eventSourceARN": stream_arn}


class StreamDrain:
    """Reads a table's stream shard by shard, in order, from its trim horizon; remembers each shard's
    position for the next ``drain``."""

    def __init__(self, table_name: str, handler: Handler | None = None) -> None:
        self._table = table_name
        self._handler = handler
        self._arn: str | None = None
        self._positions: dict[str, str] = {}  # shard ID -> sequence number of the last record read
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._attempts: dict[str, int] = {}

    def _stream_arn(self) -> str:
        if self._arn is None:
            table = client("dynamodb").describe_table(TableName=self._table)["Table"]
            self._arn = str(table["LatestStreamArn"])
        return self._arn

    def _read(self, streams: Any, shard_id: str) -> list[dict[str, Any]]:
        """The next records of the shard after the last one read. A fresh iterator each time: moto's
        iterators hold on to the shard object, which a rolled-back transaction replaces."""
        arn = self._stream_arn()
        after = self._positions.get(shard_id)
        position: dict[str, str] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
            if after
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, **position)["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator, Limit=BATCH_SIZE).get("Records", [])
        if records:
            self._positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
        return [lambda_record(record, arn) for record in records]

    def drain(self) -> int:
        """Deliver what waits in every shard; returns how many records were delivered."""
        streams = streams_client()
        shards = streams.describe_stream(StreamArn=self._stream_arn())["StreamDescription"]["Shards"]
        delivered = 0
        for shard in shards:
            shard_id = shard["ShardId"]
            batch = self._pending.pop(shard_id, None) or self._read(streams, shard_id)
            if batch:
                delivered += len(batch)
                self._deliver(shard_id, batch)
        return delivered

    def _deliver(self, shard_id: str, batch: list[dict[str, Any]]) -> None:
        handler = self._handler or _aggregator()
        try:
            response = handler({"Records": batch}, LocalLambdaContext()) or {}
            failures = [item["itemIdentifier"] for item in response.get("batchItemFailures", [])]
        except Exception:  # the whole batch failed (Powertools raises when every record failed)
            logger.exception("local stream batch failed")
            failures = [batch[0]["dynamodb"]["SequenceNumber"]]
        if not failures:
            self._attempts.pop(shard_id, None)
            return
        numbers = [record["dynamodb"]["SequenceNumber"] for record in batch]
        start = min(numbers.index(failure) for failure in failures if failure in numbers)
        attempts = self._attempts.get(shard_id, 0) + 1
        if attempts >= MAX_LOCAL_ATTEMPTS:
            logger.error("local stream record dropped", extra={"sequence_number": numbers[start]})
            self._attempts.pop(shard_id, None)
            start += 1
        else:
            self._attempts[shard_id] = attempts
        if batch[start:]:
            self._pending[shard_id] = batch[start:]


def _aggregator() -> Handler:
    from workengine.handlers.stats_aggregator import lambda_handler

    return lambda_handler  # type: ignore[return-value]


def stream_loop(settings: Settings, stop: threading.Event) -> None:
    """Background loop: the table's stream → ``stats_aggregator`` handler. Never dies: a failed drain is
    logged and tried again."""
    drain = StreamDrain(settings.table_name)
    while not stop.is_set():
        try:
            if drain.drain() == 0:
                stop.wait(POLL_SECONDS)
        except Exception:
            logger.exception("local stream drain failed")
            stop.wait(1.0)
