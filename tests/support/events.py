"""Builders of the events AWS sends to the functions (one place for their shapes)."""

from __future__ import annotations

from typing import Any

from workengine.settings import get_settings


def object_created_event(
    key: str, version_id: str | None = None, bucket: str | None = None
) -> dict[str, Any]:
    """The EventBridge "Object Created" event S3 sends for ``key`` (of the artifacts bucket)."""
    obj: dict[str, Any] = {"key": key}
    if version_id is not None:
        obj["version-id"] = version_id
    return {
        "version": "0",
        "id": "e-test",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "000000000000",
        "time": "2030-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"bucket": {"name": bucket or get_settings().bucket_name}, "object": obj},
    }
