"""``POST /exports`` and ``GET /exports/{id}`` through the real lambda_handler on moto."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.api import ApiClient, Caller
from workengine.composition import Container
from workengine.dal.aws import client
from workengine.handlers.api import dependencies as deps
from workengine.services.export_service import ExportService
from workengine.settings import get_settings


@pytest.fixture
def synchronous_exports(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Runs each export inside the POST (the injected runner), recording what was dispatched."""
    dispatched: list[tuple[str, str]] = []

    def run_now(tenant_id: str, export_id: str) -> None:
        dispatched.append((tenant_id, export_id))
        service.run_export(tenant_id, export_id)

    service: ExportService = Container(get_settings(), export_dispatcher=run_now).export_service
    with monkeypatch.context() as patch:  # undone before aws_env's teardown resets the caches
        patch.setattr(deps, "export_service", lambda: service)
        yield dispatched


def create_bundle(api: ApiClient) -> dict[str, Any]:
    response = api.post(
        "/bundles", {"template_id": "test-flow", "title": "Launch", "anchor_date": "2026-12-14"}
    )
    assert response.status == 201
    return dict(response.body)


def test_member_cannot_start_an_export(api: ApiClient, synchronous_exports: list[tuple[str, str]]) -> None:
    response = api.post("/exports")

    assert response.status == 403 and response.error_code == "FORBIDDEN"
    assert synchronous_exports == []


def test_admin_export_answers_202_then_reports_success_counts_and_manifest_url(
    api: ApiClient, admin: Caller, synchronous_exports: list[tuple[str, str]]
) -> None:
    create_bundle(api)

    started = api.post("/exports", caller=admin)

    assert started.status == 202, started.body
    export = started.body["export"]
    assert export["tenant_id"] == "acme" and export["requested_by"] == "ada"
    assert synchronous_exports == [("acme", export["export_id"])]
    assert "manifest_key" not in export and "pk" not in export

    response = api.get(f"/exports/{export['export_id']}", caller=admin)

    assert response.status == 200
    body = response.body["export"]
    assert body["status"] == "succeeded" and body["finished_at"]
    assert body["counts"]["bundle"] == 1 and body["counts"]["task"] == 5
    key = f"exports/acme/{export['export_id']}/manifest.json"
    assert key in body["manifest_url"]
    stored = client("s3").get_object(Bucket=get_settings().bucket_name, Key=key)
    manifest = json.loads(stored["Body"].read())
    assert manifest["export_id"] == export["export_id"] and manifest["tenant_id"] == "acme"
    listed = client("s3").list_objects_v2(
        Bucket=get_settings().bucket_name, Prefix=f"exports/acme/{export['export_id']}/"
    )
    assert {obj["Key"].rsplit("/", 1)[1] for obj in listed["Contents"]} >= {"tasks.jsonl", "bundles.jsonl"}


def test_another_tenant_gets_404_for_the_export(
    api: ApiClient, admin: Caller, outsider: Caller, synchronous_exports: list[tuple[str, str]]
) -> None:
    export_id = api.post("/exports", caller=admin).body["export"]["export_id"]

    response = api.get(f"/exports/{export_id}", caller=outsider)

    assert response.status == 404 and response.error_code == "NOT_FOUND"


def test_without_a_worker_function_the_export_runs_in_the_local_background(
    api: ApiClient, admin: Caller
) -> None:
    # Given no export_function_name: the default dispatcher is the in-process executor
    create_bundle(api)

    export_id = api.post("/exports", caller=admin).body["export"]["export_id"]

    deadline = time.monotonic() + 20
    status = None
    while time.monotonic() < deadline:
        status = api.get(f"/exports/{export_id}", caller=admin).body["export"]["status"]
        if status in ("succeeded", "failed"):
            break
        time.sleep(0.05)
    assert status == "succeeded"
