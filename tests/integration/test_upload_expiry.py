"""Artifacts whose upload never arrived: the sweep marks them ``expired`` (via the due index, no scan)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import ApiClient, Caller
from tests.support.reminders import Clock, World
from workengine.handlers.api import dependencies as deps
from workengine.settings import get_settings

CONTENT = Path(__file__).resolve().parents[1] / "fixtures" / "assistant_content"


@pytest.fixture
def artifacts_api(aws_env: None, member: Caller, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    monkeypatch.setenv("WORKENGINE_CONTENT_PATH", str(CONTENT))
    deps.reset()
    return ApiClient(member)


def create_pending(api: ApiClient) -> tuple[str, str]:
    bundle = api.post(
        "/bundles", {"template_id": "artifact-flow", "title": "Q3 report", "anchor_date": "2030-09-30"}
    ).body["bundle"]
    created = api.post(
        f"/bundles/{bundle['bundle_id']}/artifacts",
        {"filename": "report.pdf", "content_type": "application/pdf", "size_bytes": 100},
    )
    assert created.status == 201, created.body
    return bundle["bundle_id"], created.body["artifact"]["artifact_id"]


def artifact(api: ApiClient, artifact_id: str) -> dict[str, Any]:
    response = api.get(f"/artifacts/{artifact_id}")
    assert response.status == 200, response.body
    body: dict[str, Any] = response.body
    return body.get("artifact", body)


def test_pending_uploads_expire_after_the_url_lifetime_plus_the_margin(artifacts_api: ApiClient) -> None:
    # Given an artifact whose upload never comes
    bundle_id, artifact_id = create_pending(artifacts_api)
    settings = get_settings()
    lifetime = timedelta(seconds=settings.upload_url_ttl_seconds + settings.upload_expiry_margin_seconds)
    created = datetime.now(UTC)
    world = World(Clock(created), catalog=deps.catalog())

    # When the sweep runs just before and then after the URL lifetime plus the margin
    early = world.sweep(created + lifetime - timedelta(minutes=1))
    late = world.sweep(created + lifetime + timedelta(minutes=1))
    again = world.sweep(created + lifetime + timedelta(minutes=2))

    # Then it is expired exactly once, with an audit event, and keeps no index entry
    assert early.uploads_expired == 0 and late.uploads_expired == 1 and again.uploads_expired == 0
    stored = artifact(artifacts_api, artifact_id)
    assert stored["status"] == "expired"
    events = artifacts_api.get(f"/bundles/{bundle_id}/events").body["items"]
    expired = [e for e in events if e["entity_id"] == artifact_id and e["action"] == "expired"]
    assert len(expired) == 1 and expired[0]["actor"] == "system:sweep"
    assert expired[0]["before"]["status"] == "pending" and expired[0]["after"]["status"] == "expired"


def test_an_upload_arriving_after_expiry_is_not_accepted(artifacts_api: ApiClient) -> None:
    # Given an expired artifact
    from workengine.dal.aws import client

    _, artifact_id = create_pending(artifacts_api)
    world = World(Clock(datetime.now(UTC)), catalog=deps.catalog())
    world.sweep(datetime.now(UTC) + timedelta(days=1))
    key = _s3_key(artifact_id)

    # When its object arrives late and S3 notifies
    client("s3").put_object(Bucket=get_settings().bucket_name, Key=key, Body=b"x" * 100)
    outcome = deps.artifact_service().record_upload(get_settings().bucket_name, key)

    # Then the artifact stays expired
    assert outcome.status == "expired"
    assert artifact(artifacts_api, artifact_id)["status"] == "expired"


def _s3_key(artifact_id: str) -> str:
    from workengine.dal.artifact_repository import DynamoArtifactRepository
    from workengine.dal.aws import client

    repository = DynamoArtifactRepository(client("dynamodb"), get_settings().table_name)
    return repository.find("acme", artifact_id).s3_key
