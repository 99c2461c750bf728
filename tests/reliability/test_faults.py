"""Injected DynamoDB faults (a ``before-call`` hook on the API's own client raises the ClientError
DynamoDB would send after botocore's retries): the request fails cleanly with the contract's body,
nothing is half written, and the next request succeeds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

from tests.integration.test_bundles_api import CREATE, create, table_items
from tests.support.api import ApiClient
from workengine.handlers.api import dependencies as deps


@contextmanager
def failing_dynamodb(operation: str, make_error: Callable[[], Exception]) -> Iterator[list[int]]:
    """Every ``operation`` call on the API's DynamoDB client raises ``make_error()`` while inside."""
    fired: list[int] = []

    def fail(**_: Any) -> None:
        fired.append(1)
        raise make_error()

    events = deps.bundle_repository()._client.meta.events
    hook = f"before-call.dynamodb.{operation}"
    events.register(hook, fail, unique_id="fault-injection")
    try:
        yield fired
    finally:
        events.unregister(hook, unique_id="fault-injection")


def dynamodb_fault(
    operation: str, code: str, reasons: list[dict[str, Any]] | None = None
) -> AbstractContextManager[list[int]]:
    """Every ``operation`` call fails with the ClientError ``code`` DynamoDB would send after botocore's
    retries."""

    def client_error() -> Exception:
        response: dict[str, Any] = {"Error": {"Code": code, "Message": f"injected {code}"}}
        if reasons is not None:
            response["CancellationReasons"] = reasons
        return ClientError(response, operation)  # type: ignore[arg-type]

    return failing_dynamodb(operation, client_error)


def assert_unavailable(response: Any) -> None:
    assert response.status == 503, response.body
    assert response.error_code == "SERVICE_UNAVAILABLE"
    assert isinstance(response.body["error"]["message"], str)


def draft_of(created: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in created["tasks"] if t["template_task_ref"] == "draft")


def complete_draft(api: ApiClient, draft: dict[str, Any]) -> Any:
    body = {
        "status": "done",
        "proof": {"url": "https://example.com/pr/1"},
        "expected_version": draft["version"],
    }
    return api.patch(f"/tasks/{draft['task_id']}", body)


@pytest.mark.parametrize("code", ["ThrottlingException", "ProvisionedThroughputExceededException"])
def test_throttled_task_write_is_503_writes_nothing_and_the_retry_succeeds(api: ApiClient, code: str) -> None:
    draft = draft_of(create(api))
    before = table_items()

    with dynamodb_fault("TransactWriteItems", code) as fired:
        failed = complete_draft(api, draft)

    assert fired and table_items() == before
    assert_unavailable(failed)
    retried = complete_draft(api, draft)
    assert retried.status == 200 and retried.body["task"]["version"] == draft["version"] + 1


def test_transaction_cancelled_by_a_concurrent_transaction_is_503(api: ApiClient) -> None:
    draft = draft_of(create(api))
    before = table_items()
    reasons = [{"Code": "TransactionConflict", "Message": "conflict"}, {"Code": "None"}, {"Code": "None"}]

    with dynamodb_fault("TransactWriteItems", "TransactionCanceledException", reasons):
        failed = complete_draft(api, draft)

    assert_unavailable(failed)
    assert table_items() == before
    assert complete_draft(api, draft).status == 200


def test_transaction_cancelled_for_throttling_is_503(api: ApiClient) -> None:
    draft = draft_of(create(api))
    reasons = [
        {"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity"},
        {"Code": "None"},
    ]

    with dynamodb_fault("TransactWriteItems", "TransactionCanceledException", reasons):
        failed = complete_draft(api, draft)

    assert_unavailable(failed)


def test_throttled_create_is_503_writes_nothing_and_the_retry_succeeds(api: ApiClient) -> None:
    before = table_items()

    with dynamodb_fault("TransactWriteItems", "ThrottlingException"):
        failed = api.post("/bundles", CREATE)

    assert_unavailable(failed)
    assert table_items() == before
    assert api.post("/bundles", CREATE).status == 201


def test_throttled_idempotent_create_releases_its_key(api: ApiClient) -> None:
    headers = {"Idempotency-Key": "retry-after-throttle"}
    with dynamodb_fault("TransactWriteItems", "ThrottlingException"):
        failed = api.post("/bundles", CREATE, headers=headers)

    first = api.post("/bundles", CREATE, headers=headers)
    replay = api.post("/bundles", CREATE, headers=headers)

    assert_unavailable(failed)
    assert first.status == 201 and replay.status == 201 and replay.body == first.body
    assert len([item for item in table_items() if item["sk"]["S"] == "B"]) == 1


@pytest.mark.parametrize(
    ("path", "query"),
    [("/tasks", {"assignee": "me"}), ("/bundles", {})],
)
def test_throttled_reads_are_503_then_recover(api: ApiClient, path: str, query: dict[str, str]) -> None:
    create(api)

    with dynamodb_fault("Query", "ThrottlingException"):
        failed = api.get(path, query=query)

    assert_unavailable(failed)
    assert api.get(path, query=query).status == 200


def test_throttled_bundle_read_is_503(api: ApiClient) -> None:
    bundle_id = create(api)["bundle"]["bundle_id"]

    with dynamodb_fault("Query", "RequestLimitExceeded"):
        failed = api.get(f"/bundles/{bundle_id}")

    assert_unavailable(failed)
    assert api.get(f"/bundles/{bundle_id}").status == 200


UNANSWERED = [
    pytest.param(ReadTimeoutError(endpoint_url="https://dynamodb"), id="read-timeout"),
    pytest.param(EndpointConnectionError(endpoint_url="https://dynamodb"), id="connection-refused"),
    pytest.param(ConnectionClosedError(endpoint_url="https://dynamodb"), id="connection-reset"),
]


@pytest.mark.parametrize("error", UNANSWERED)
def test_unanswered_write_is_503_writes_nothing_and_the_retry_succeeds(
    api: ApiClient, error: Exception
) -> None:
    # Given a task, when DynamoDB does not answer its write (seen as a 500 under a loaded local server)
    draft = draft_of(create(api))
    before = table_items()

    with failing_dynamodb("TransactWriteItems", lambda: error) as fired:
        failed = complete_draft(api, draft)

    # Then the client is told to retry, nothing is written, and the retry goes through
    assert fired and table_items() == before
    assert_unavailable(failed)
    retried = complete_draft(api, draft)
    assert retried.status == 200 and retried.body["task"]["version"] == draft["version"] + 1


@pytest.mark.parametrize("error", UNANSWERED)
def test_unanswered_read_is_503_then_recovers(api: ApiClient, error: Exception) -> None:
    create(api)

    with failing_dynamodb("Query", lambda: error) as fired:
        failed = api.get("/bundles")

    assert fired
    assert_unavailable(failed)
    assert api.get("/bundles").status == 200
