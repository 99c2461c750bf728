"""Partial batch results are sent again after a jittered, bounded backoff: BatchGetItem's
UnprocessedKeys, BatchWriteItem's UnprocessedItems and PutEvents' failed entries."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_reminder_sweep import FlakyEvents, reminder
from workengine.dal.aws import client
from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.dal.reads import TableReader
from workengine.dal.reminder_publisher import ReminderPublisher
from workengine.domain.errors import ServiceUnavailableError
from workengine.retries import BATCH_ATTEMPTS
from workengine.settings import get_settings


class Unprocessing:
    """A DynamoDB client whose batch calls leave the first ``times`` requests' items unprocessed."""

    def __init__(self, real: Any, times: int) -> None:
        self._real = real
        self.times = times
        self.batch_requests: list[Any] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.batch_requests.append(RequestItems)
        if len(self.batch_requests) <= self.times:
            return {"Responses": {}, "UnprocessedKeys": RequestItems}
        return dict(self._real.batch_get_item(RequestItems=RequestItems))

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.batch_requests.append(RequestItems)
        if len(self.batch_requests) <= self.times:
            return {"UnprocessedItems": RequestItems}
        return dict(self._real.batch_write_item(RequestItems=RequestItems))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def put(pk: str, sk: str) -> dict[str, Any]:
    item = {"pk": {"S": pk}, "sk": {"S": sk}, "entity_type": {"S": "note"}}
    client("dynamodb").put_item(TableName=get_settings().table_name, Item=item)
    return item


def test_unprocessed_keys_are_fetched_again_after_a_backoff(aws_env: None) -> None:
    # Given two stored items and a DynamoDB that leaves every key unprocessed twice
    put("p#1", "a"), put("p#1", "b")
    sleeps: list[float] = []
    flaky = Unprocessing(client("dynamodb"), times=2)
    reader = TableReader(flaky, get_settings().table_name, sleep=sleeps.append)

    # When
    found = list(reader.batch_get([("p#1", "a"), ("p#1", "b"), ("p#1", "missing")]))

    # Then both come back, after two waits of the jittered backoff
    assert sorted(item["sk"]["S"] for item in found) == ["a", "b"]
    assert len(flaky.batch_requests) == 3
    assert len(sleeps) == 2 and all(0 <= pause <= 1.0 for pause in sleeps)


def test_keys_unprocessed_past_the_bound_are_a_service_unavailable_error(aws_env: None) -> None:
    sleeps: list[float] = []
    flaky = Unprocessing(client("dynamodb"), times=1000)
    reader = TableReader(flaky, get_settings().table_name, sleep=sleeps.append)

    with pytest.raises(ServiceUnavailableError):
        list(reader.batch_get([("p#1", "a")]))
    assert len(flaky.batch_requests) == BATCH_ATTEMPTS
    assert len(sleeps) == BATCH_ATTEMPTS - 1


def test_cleanup_of_a_failed_create_resends_unprocessed_deletes(aws_env: None) -> None:
    # Given items a failed create left behind, and a DynamoDB that leaves the deletes unprocessed once
    written = [put("p#2", f"B#T#{i}") for i in range(30)]
    sleeps: list[float] = []
    flaky = Unprocessing(client("dynamodb"), times=1)
    repository = DynamoBundleRepository(flaky, get_settings().table_name, sleep=sleeps.append)

    # When
    repository._remove(written)

    # Then every item is gone: the unprocessed batch was sent again after a backoff
    left = client("dynamodb").query(
        TableName=get_settings().table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "p#2"}},
    )
    assert left["Items"] == []
    assert len(flaky.batch_requests) == 3 and len(sleeps) == 1


def test_put_events_failures_are_retried_after_a_backoff() -> None:
    # Given a bus that rejects two entries of the first call
    sleeps: list[float] = []
    events = FlakyEvents([{0, 3}])
    publisher = ReminderPublisher(events, "bus", max_attempts=3, sleep=sleeps.append)

    # When
    result = publisher.publish([reminder(i) for i in range(10)])

    # Then the retry waited once, within the bound
    assert [len(call) for call in events.calls] == [10, 2]
    assert len(result.published) == 10
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 1.0
