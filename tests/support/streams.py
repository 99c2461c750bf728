"""Reading the table's change stream in tests: the records as Lambda would receive them, for delivering
to the statistics aggregator (once, twice, reordered)."""

from __future__ import annotations

from typing import Any

from workengine.handlers.stats_aggregator import lambda_handler
from workengine.settings import get_settings
from workengine_tools.local.events import LocalLambdaContext
from workengine_tools.local.stream_drain import StreamDrain


class StreamRecorder:
    """Collects every record the stream holds beyond what it collected before (the drain's handler)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self._drain = StreamDrain(get_settings().table_name, self._collect)

    def _collect(self, event: dict[str, Any], _context: Any) -> dict[str, Any]:
        self.records.extend(event["Records"])
        return {"batchItemFailures": []}

    def new_records(self) -> list[dict[str, Any]]:
        before = len(self.records)
        while self._drain.drain():
            pass
        return self.records[before:]


def deliver(records: list[dict[str, Any]], batch_size: int = 100) -> list[dict[str, str]]:
    """Hands ``records`` to the aggregator in batches as the event source mapping does; returns the
    reported failures."""
    failures: list[dict[str, str]] = []
    for start in range(0, len(records), batch_size):
        response = lambda_handler({"Records": records[start : start + batch_size]}, LocalLambdaContext())
        failures += response["batchItemFailures"]
    return failures
