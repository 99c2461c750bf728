"""Creates the AWS resources the product needs (table, bucket, event bus) from the shared definitions:
used by the local server on its moto backend and by the tests under ``mock_aws``."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from workengine.dal.aws import client
from workengine.dal.table import TTL_ATTRIBUTE, create_table_kwargs
from workengine.settings import Settings


def provision(settings: Settings) -> None:
    from workengine_tools.local.moto_streams import share_stream_records

    share_stream_records()  # the backend is moto, in this process (the local server, tests, the bench)
    dynamodb = client("dynamodb")
    _ignore_exists(lambda: dynamodb.create_table(**create_table_kwargs(settings.table_name)))
    dynamodb.get_waiter("table_exists").wait(TableName=settings.table_name)
    _ignore_exists(
        lambda: dynamodb.update_time_to_live(
            TableName=settings.table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
    )
    s3 = client("s3")
    _ignore_exists(lambda: s3.create_bucket(Bucket=settings.bucket_name))
    # As in AWS (infra/data.py): accepted evidence is pinned to its object version.
    s3.put_bucket_versioning(Bucket=settings.bucket_name, VersioningConfiguration={"Status": "Enabled"})
    events = client("events")
    _ignore_exists(lambda: events.create_event_bus(Name=settings.event_bus_name))
    from workengine_tools.local.assistant_backend import provision_artifact_events_and_jobs

    provision_artifact_events_and_jobs(settings)
    from workengine_tools.local.notifier_backend import provision_notifier

    provision_notifier(settings)
    from workengine.composition import container
    from workengine_tools.local.event_triggers import provision_event_triggers

    provision_event_triggers(settings, container().event_trigger_service.detail_types())


def _ignore_exists(action: Any) -> None:
    try:
        action()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code not in {
            "ResourceInUseException",
            "BucketAlreadyOwnedByYou",
            "BucketAlreadyExists",
            "ResourceAlreadyExistsException",
            "ValidationException",
        }:
            raise
