"""Injected S3 and EventBridge faults (botocore ``before-call`` hooks on the clients the code under test
uses, raising what the service would send after botocore's retries): nothing is half written, and the
next delivery or sweep completes the work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from tests.integration.test_bundles_api import create, table_items
from tests.support.api import ApiClient
from tests.support.events import object_created_event
from tests.support.reminders import Clock, World, reminder_items
from workengine.dal.aws import client
from workengine.domain.errors import ServiceUnavailableError
from workengine.handlers.api import dependencies as deps
from workengine.settings import get_settings
from workengine_tools.local.events import LocalLambdaContext

PDF = b"%PDF-1.7\n" + b"x" * 200


@contextmanager
def client_fault(boto_client: Any, operation: str, error: Exception) -> Iterator[list[int]]:
    """Every ``operation`` call of ``boto_client`` raises ``error`` while inside."""
    fired: list[int] = []

    def fail(**_: Any) -> None:
        fired.append(1)
        raise error

    service = boto_client.meta.service_model.service_name
    hook = f"before-call.{service}.{operation}"
    boto_client.meta.events.register(hook, fail, unique_id="fault-injection")
    try:
        yield fired
    finally:
        boto_client.meta.events.unregister(hook, unique_id="fault-injection")


def client_error(code: str, operation: str, status: int = 503) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": f"injected {code}"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


def artifact_items() -> list[dict[str, Any]]:
    return [i for i in table_items() if i["sk"]["S"].startswith(("A#", "E#"))]


# --- S3: the presigned upload URL ---------------------------------------------------------------


def test_presign_failure_writes_no_artifact_and_the_retry_succeeds(api: ApiClient) -> None:
    # Given a bundle, and an S3 client that cannot sign (credentials unavailable)
    bundle_id = create(api)["bundle"]["bundle_id"]
    body = {"filename": "report.pdf", "content_type": "application/pdf", "size_bytes": len(PDF)}
    before = table_items()
    store = deps.artifact_service()._store

    def no_credentials(*_: Any, **__: Any) -> str:
        raise NoCredentialsError()

    signer = store._client.generate_presigned_url
    store._client.generate_presigned_url = no_credentials
    try:
        # When
        failed = api.post(f"/bundles/{bundle_id}/artifacts", body)
    finally:
        store._client.generate_presigned_url = signer

    # Then the request fails with the contract's body and nothing was written
    assert failed.status == 503 and failed.error_code == "SERVICE_UNAVAILABLE", failed.body
    assert table_items() == before
    retried = api.post(f"/bundles/{bundle_id}/artifacts", body)
    assert retried.status == 201 and retried.body["artifact"]["status"] == "pending"


# --- S3: HeadObject in the artifact-uploaded handler --------------------------------------------


def uploaded_event(key: str) -> dict[str, Any]:
    return object_created_event(key)


def pending_artifact_uploaded(api: ApiClient) -> dict[str, Any]:
    """An artifact created through the API whose object is in S3, its notification not yet handled."""
    bundle_id = create(api)["bundle"]["bundle_id"]
    created = api.post(
        f"/bundles/{bundle_id}/artifacts",
        {"filename": "report.pdf", "content_type": "application/pdf", "size_bytes": len(PDF)},
    )
    assert created.status == 201, created.body
    artifact: dict[str, Any] = created.body["artifact"]
    client("s3").put_object(
        Bucket=get_settings().bucket_name, Key=artifact["s3_key"], Body=PDF, ContentType="application/pdf"
    )
    return artifact


@pytest.mark.parametrize(
    "error",
    [
        client_error("SlowDown", "HeadObject"),
        client_error("InternalError", "HeadObject", 500),
        EndpointConnectionError(endpoint_url="https://s3.us-east-1.amazonaws.com"),
    ],
    ids=["slow-down", "internal-error", "endpoint-unreachable"],
)
def test_head_object_failure_fails_the_delivery_and_redelivery_completes(
    api: ApiClient, error: Exception
) -> None:
    from workengine.handlers.artifact_uploaded import lambda_handler

    # Given a pending artifact whose object arrived
    artifact = pending_artifact_uploaded(api)
    before = artifact_items()
    store = deps.artifact_service()._store

    # When HeadObject fails while the notification is handled
    with (
        client_fault(store._client, "HeadObject", error) as fired,
        pytest.raises(ServiceUnavailableError),
    ):
        lambda_handler(uploaded_event(artifact["s3_key"]), LocalLambdaContext())

    # Then the invocation fails (so EventBridge/Lambda deliver it again), nothing was written,
    assert fired
    assert artifact_items() == before
    assert api.get(f"/artifacts/{artifact['artifact_id']}").body["artifact"]["status"] == "pending"
    # and the redelivered notification completes the upload
    result = lambda_handler(uploaded_event(artifact["s3_key"]), LocalLambdaContext())
    assert result["status"] == "uploaded" and result["reason"] is None
    after = api.get(f"/artifacts/{artifact['artifact_id']}").body
    assert after["artifact"]["status"] == "uploaded" and after["download_url"]
    actions = [
        e["action"]
        for e in api.get(f"/bundles/{artifact['bundle_id']}/events").body["items"]
        if e["entity_type"] == "artifact"
    ]
    assert sorted(actions) == ["created", "uploaded"]


def test_delete_failure_after_a_rejection_is_finished_by_the_redelivery(api: ApiClient) -> None:
    from workengine.handlers.artifact_uploaded import lambda_handler

    # Given a pending artifact whose object does not match its declared size
    artifact = pending_artifact_uploaded(api)
    bucket = get_settings().bucket_name
    client("s3").put_object(
        Bucket=bucket, Key=artifact["s3_key"], Body=PDF + b"more", ContentType="application/pdf"
    )
    store = deps.artifact_service()._store

    # When the rejection is recorded but deleting the refused object fails
    fault = client_error("InternalError", "DeleteObject", 500)
    with client_fault(store._client, "DeleteObject", fault), pytest.raises(ServiceUnavailableError):
        lambda_handler(uploaded_event(artifact["s3_key"]), LocalLambdaContext())

    # Then the artifact is rejected but its object is still there, until the redelivery deletes it
    assert api.get(f"/artifacts/{artifact['artifact_id']}").body["artifact"]["status"] == "rejected"
    assert client("s3").list_objects_v2(Bucket=bucket).get("KeyCount") == 1
    result = lambda_handler(uploaded_event(artifact["s3_key"]), LocalLambdaContext())
    assert result["status"] == "rejected" and result["reason"] == "already decided"
    assert client("s3").list_objects_v2(Bucket=bucket).get("KeyCount") == 0


# --- EventBridge: PutEvents during the sweep ----------------------------------------------------


ANCHOR = date(2026, 12, 14)


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=UTC)


@pytest.fixture
def world(aws_env: None) -> World:
    return World(Clock(at(1)))


@pytest.mark.parametrize(
    "error",
    [
        client_error("InternalException", "PutEvents", 500),
        client_error("ThrottlingException", "PutEvents", 400),
        EndpointConnectionError(endpoint_url="https://events.us-east-1.amazonaws.com"),
    ],
    ids=["internal", "throttled", "endpoint-unreachable"],
)
def test_put_events_failure_loses_no_reminder_and_the_next_sweep_publishes(
    world: World, error: Exception
) -> None:
    # Given a bundle whose draft task falls due (its reminder is created by the sweep at Dec 3)
    world.create_test_flow(ANCHOR)
    events = client("events")

    # When every PutEvents of the sweep fails
    with client_fault(events, "PutEvents", error) as fired:
        first = world.sweep(at(3, 1), events=events)

    # Then the sweep finishes, the reminder is kept as publish_failed (still in the publish queue)
    assert fired and len(fired) == 3  # the publisher's bounded attempts
    assert len(first.reminders_created) == 1
    assert first.published == 0 and first.publish_failed == 1
    [stored] = reminder_items()
    assert stored["status"] == "publish_failed" and stored.get("gsi_due_pk", "").startswith("PUB#")
    # and the next sweep, with the bus healthy, publishes it without creating it again
    second = world.sweep(at(3, 2), events=events)
    assert second.reminders_created == [] and second.published == 1 and second.publish_failed == 0
    [published] = reminder_items()
    assert published["reminder_id"] == stored["reminder_id"] and published["status"] == "published"
    assert "gsi_due_pk" not in published
