"""Portable export → validate → import → export again, on moto; tampering, dangling references, unknown
format versions and interrupted imports; the export CLI."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import ApiClient, Caller
from tests.support.reminders import Clock, World
from workengine.composition import container
from workengine.dal.artifact_repository import artifact_item
from workengine.dal.aws import client
from workengine.dal.codec import AttributeMap
from workengine.dal.export_storage import DynamoRecordWriter, S3BinaryTarget
from workengine.dal.items import reminder_item, schedule_item
from workengine.dal.job_repository import job_item
from workengine.domain.entities import Artifact, AssistantJob, Reminder
from workengine.domain.enums import ArtifactStatus, ReminderKind, Role
from workengine.domain.export_format import ENTITY_SPECS, MANIFEST_FILE, rewrite_tenant
from workengine.domain.schedules import Schedule
from workengine.services.artifact_service import artifact_key
from workengine.services.export_service import DirectorySink
from workengine.services.export_validation import ExportInvalidError, validate_export
from workengine.services.import_service import ImportService
from workengine.settings import get_settings
from workengine_tools.cli.main import main

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
BINARY = b"%PDF-1.4 quarterly report\n" * 40


def put(item: AttributeMap) -> None:
    client("dynamodb").put_item(TableName=get_settings().table_name, Item=item)


def seed_tenant(api: ApiClient) -> dict[str, Any]:
    """Two bundles through the API (tasks, a status change, a comment), plus an artifact with its
    binary, an assistant job, a reminder and a schedule stored with the runtime's item builders."""
    first = api.post(
        "/bundles",
        {
            "template_id": "test-flow",
            "title": "Launch v2",
            "anchor_date": "2026-12-14",
            "assignees": {"owner": "mia"},
        },
    )
    assert first.status == 201, first.body
    second = api.post(
        "/bundles", {"template_id": "wide-twenty", "title": "Wide", "anchor_date": "2026-11-02"}
    )
    assert second.status == 201, second.body
    bundle = first.body["bundle"]
    task = first.body["tasks"][0]
    patched = api.patch(f"/tasks/{task['task_id']}", {"status": "in_progress"})
    assert patched.status == 200, patched.body
    commented = api.post(f"/tasks/{task['task_id']}/comments", {"text": "draft is on the way"})
    assert commented.status == 201, commented.body

    tenant, bundle_id, task_id = bundle["tenant_id"], bundle["bundle_id"], task["task_id"]
    s3_key = artifact_key(tenant, bundle_id, "a_1", "report.pdf")
    client("s3").put_object(Bucket=get_settings().bucket_name, Key=s3_key, Body=BINARY)
    put(
        artifact_item(
            Artifact(
                artifact_id="a_1",
                tenant_id=tenant,
                bundle_id=bundle_id,
                task_id=task_id,
                filename="report.pdf",
                content_type="application/pdf",
                size_bytes=len(BINARY),
                s3_key=s3_key,
                status=ArtifactStatus.UPLOADED,
                created_by="mia",
                created_at=NOW,
            )
        )
    )
    put(
        job_item(
            AssistantJob(
                job_id="j_1",
                tenant_id=tenant,
                bundle_id=bundle_id,
                task_id=task_id,
                kind="summarize_bundle",
                input={"text": "hello", "ratio": 0.5},
                created_by="mia",
                created_at=NOW,
                updated_at=NOW,
            )
        )
    )
    put(
        reminder_item(
            Reminder(
                reminder_id="r_1",
                tenant_id=tenant,
                bundle_id=bundle_id,
                task_id=task_id,
                kind=ReminderKind.DUE,
                fire_at=NOW,
                recipient="mia",
                created_at=NOW,
            )
        )
    )
    put(
        schedule_item(
            Schedule(
                tenant_id=tenant,
                template_id="test-flow",
                enabled=True,
                cron="0 9 1 * *",
                next_occurrence=NOW,
                created_at=NOW,
                updated_at=NOW,
                updated_by="ada",
            )
        )
    )
    return {"bundle_id": bundle_id, "task_id": task_id}


def export_to(tenant: str, directory: Path, *, with_binaries: bool = False) -> Any:
    return container().tenant_exporter.export(
        tenant, f"x_{tenant}", DirectorySink(directory), with_binaries=with_binaries
    )


def records(directory: Path, file: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (directory / file).read_text(encoding="utf-8").splitlines()]


def rewrite_manifest(directory: Path, **changes: Any) -> None:
    path = directory / MANIFEST_FILE
    manifest = json.loads(path.read_text())
    manifest.update(changes)
    path.write_text(json.dumps(manifest))


def refresh_manifest_entry(directory: Path, file: str) -> None:
    """Make the manifest agree with a deliberately edited file (so only the content is wrong)."""
    data = (directory / file).read_bytes()
    manifest = json.loads((directory / MANIFEST_FILE).read_text())
    for entry in manifest["files"]:
        if entry["file"] == file:
            entry["sha256"] = hashlib.sha256(data).hexdigest()
            entry["count"] = len(data.splitlines())
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest))


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """Records as compared across tenants: an artifact's ``s3_key`` and ``s3_version_id`` name its
    tenant's own object, so they differ."""
    return {key: value for key, value in record.items() if key not in {"s3_key", "s3_version_id"}}


def stored_by_id(tenant: str, entity_id: str) -> list[AttributeMap]:
    """The stored items of ``entity_id`` in ``tenant`` (through the entity index)."""
    items: list[AttributeMap] = client("dynamodb").query(
        TableName=get_settings().table_name,
        IndexName="gsi_entity",
        KeyConditionExpression="gsi_entity_pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"T#{tenant}#ID#{entity_id}"}},
    )["Items"]
    return items


def tenant_partition_count(tenant: str) -> int:
    response = client("dynamodb").query(
        TableName=get_settings().table_name,
        IndexName="gsi_bundles",
        KeyConditionExpression="gsi_bundles_pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"T#{tenant}#BUNDLES"}},
    )
    return int(response["Count"])


@pytest.fixture
def seeded(api: ApiClient, outsider: Caller) -> dict[str, Any]:
    ids = seed_tenant(api)
    other = api.post(
        "/bundles",
        {"template_id": "test-flow", "title": "Globex secret", "anchor_date": "2026-10-01"},
        caller=outsider,
    )
    assert other.status == 201
    return ids


def test_export_validate_import_export_round_trip_is_equal_record_for_record(
    seeded: dict[str, Any], tmp_path: Path, api: ApiClient
) -> None:
    # Given an export of acme (with binaries)
    first, second = tmp_path / "first", tmp_path / "second"
    manifest = export_to("acme", first, with_binaries=True)
    assert validate_export(first).ok

    # When it is imported into a fresh tenant and that tenant is exported again
    result = container().import_service.import_directory("initech", first)
    export_to("initech", second, with_binaries=True)

    # Then every file holds the same records, only the tenant differs
    assert result.ok and not result.existing
    assert validate_export(second).ok
    for spec in ENTITY_SPECS:
        before = [comparable(rewrite_tenant(r, "acme", "initech")) for r in records(first, spec.file)]
        assert [comparable(r) for r in records(second, spec.file)] == before, spec.file
        assert result.written[spec.entity_type] == len(before)
    counts = {entry.entity_type: entry.count for entry in manifest.files}
    assert counts["bundle"] == 2 and counts["task"] == 25 and counts["comment"] == 1
    assert counts["artifact"] == counts["assistant_job"] == counts["reminder"] == counts["schedule"] == 1
    assert counts["audit_event"] >= 4 and counts["artifact_binary"] == 1
    assert (second / "binaries" / "a_1").read_bytes() == BINARY
    (artifact,) = records(second, "artifacts.jsonl")
    assert artifact["s3_key"].startswith("tenants/initech/") and artifact["status"] == "uploaded"
    # and the imported tenant works through the API with the same stable IDs
    imported = api.get(f"/bundles/{seeded['bundle_id']}", caller=Caller("initech", "ivy", Role.VIEWER))
    assert imported.status == 200 and imported.body["bundle"]["tenant_id"] == "initech"
    assert api.get(f"/tasks/{seeded['task_id']}", caller=Caller("initech", "ivy", Role.VIEWER)).status == 200


def test_export_has_manifest_and_no_storage_keys_or_other_tenants(
    seeded: dict[str, Any], tmp_path: Path
) -> None:
    manifest = export_to("acme", tmp_path)

    text = "".join(path.read_text() for path in tmp_path.glob("*.jsonl"))
    assert '"pk"' not in text and '"sk"' not in text and "gsi_" not in text and "T#acme" not in text
    assert "Globex secret" not in text and "globex" not in text
    assert manifest.format_version == 1 and manifest.tenant_id == "acme"
    assert sorted(manifest.template_versions) == ["test-flow", "wide-twenty"]
    excluded = {item.entity_type for item in manifest.not_exported}
    assert {"export", "idempotency_record", "artifact_binary"} <= excluded
    written = json.loads((tmp_path / MANIFEST_FILE).read_text())
    assert {entry["file"] for entry in written["files"]} == {spec.file for spec in ENTITY_SPECS}
    event = records(tmp_path, "audit_events.jsonl")[0]
    assert event["entity_type"] in {"bundle", "task"}  # the event's subject, not the storage type


def test_tampered_file_is_refused_with_the_hash_mismatch(seeded: dict[str, Any], tmp_path: Path) -> None:
    export_to("acme", tmp_path)
    path = tmp_path / "tasks.jsonl"
    lines = path.read_text().splitlines()
    tampered = json.loads(lines[0])
    tampered["title"] = "tampered"
    path.write_text("\n".join([json.dumps(tampered), *lines[1:]]) + "\n")

    report = validate_export(tmp_path)

    assert [str(p) for p in report.problems] == [
        "tasks.jsonl: SHA-256 does not match the manifest (the file was changed or truncated)"
    ]
    with pytest.raises(ExportInvalidError, match="SHA-256"):
        container().import_service.import_directory("initech", tmp_path)
    assert tenant_partition_count("initech") == 0


def test_dangling_reference_is_refused_with_file_and_line(seeded: dict[str, Any], tmp_path: Path) -> None:
    export_to("acme", tmp_path)
    bundles = records(tmp_path, "bundles.jsonl")
    dropped = next(b for b in bundles if b["bundle_id"] == seeded["bundle_id"])
    kept = [b for b in bundles if b is not dropped]
    (tmp_path / "bundles.jsonl").write_text("".join(json.dumps(b) + "\n" for b in kept))
    refresh_manifest_entry(tmp_path, "bundles.jsonl")

    report = validate_export(tmp_path)

    tasks = records(tmp_path, "tasks.jsonl")
    line = next(i for i, t in enumerate(tasks, start=1) if t["bundle_id"] == seeded["bundle_id"])
    expected = (
        f"tasks.jsonl:{line}: task {tasks[line - 1]['task_id']!r} references bundle "
        f"{seeded['bundle_id']!r} (bundle_id) which is not in bundles.jsonl"
    )
    assert expected in [str(p) for p in report.problems]
    assert any(str(p).startswith("audit_events.jsonl:") for p in report.problems)
    with pytest.raises(ExportInvalidError):
        container().import_service.import_directory("initech", tmp_path)
    assert tenant_partition_count("initech") == 0


def test_unknown_format_version_is_refused(seeded: dict[str, Any], tmp_path: Path) -> None:
    export_to("acme", tmp_path)
    rewrite_manifest(tmp_path, format_version=99)

    report = validate_export(tmp_path)

    assert [str(p) for p in report.problems] == [
        "manifest.json: format_version 99 is not supported (this version reads 1); refusing"
    ]
    with pytest.raises(ExportInvalidError, match="format_version 99"):
        container().import_service.import_directory("initech", tmp_path)


class FailingAfter:
    """A writer that dies after ``limit`` successful writes (an interrupted import)."""

    def __init__(self, inner: DynamoRecordWriter, limit: int) -> None:
        self.inner = inner
        self.limit = limit
        self.writes = 0

    def stored(self, items: Sequence[AttributeMap]) -> dict[tuple[str, str], AttributeMap]:
        return self.inner.stored(items)

    def put_new(self, items: Sequence[AttributeMap]) -> list[AttributeMap]:
        if self.writes + len(items) > self.limit:
            raise RuntimeError("connection lost")
        self.writes += len(items)
        return self.inner.put_new(items)


def test_interrupted_import_then_rerun_ends_equal_without_duplicates(
    seeded: dict[str, Any], tmp_path: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    export_to("acme", first)
    writer = DynamoRecordWriter(client("dynamodb"), get_settings().table_name)
    signer = container().export_signer
    failing = FailingAfter(writer, 10)
    with pytest.raises(RuntimeError, match="connection lost"):
        ImportService(failing, signer=signer).import_directory("initech", first)

    binaries = S3BinaryTarget(client("s3"), get_settings().bucket_name)
    result = ImportService(writer, binaries, signer=signer).import_directory("initech", first)

    assert sum(result.existing.values()) == failing.writes and failing.writes > 0 and result.ok
    export_to("initech", second)
    for spec in ENTITY_SPECS:
        before = [comparable(rewrite_tenant(r, "acme", "initech")) for r in records(first, spec.file)]
        assert [comparable(r) for r in records(second, spec.file)] == before, spec.file


def test_reimport_into_the_same_tenant_writes_nothing_and_changed_items_are_conflicts(
    seeded: dict[str, Any], tmp_path: Path, api: ApiClient
) -> None:
    export_to("acme", tmp_path)
    total = sum(1 for spec in ENTITY_SPECS for _ in records(tmp_path, spec.file))
    api.patch(f"/tasks/{seeded['task_id']}", {"status": "todo"})

    result = container().import_service.import_directory("acme", tmp_path)

    assert sum(result.written.values()) == 0
    assert len(result.conflicts) == 1
    assert result.conflicts[0].startswith("tasks.jsonl:")
    stored = api.get(f"/tasks/{seeded['task_id']}").body["task"]
    exported = next(r for r in records(tmp_path, "tasks.jsonl") if r["task_id"] == seeded["task_id"])
    assert result.conflicts[0].endswith(
        f"task {seeded['task_id']!r} already exists in the tenant with different content "
        f"(stored: version {stored['version']}, updated_at {stored['updated_at']}; "
        f"export: version {exported['version']}, updated_at {exported['updated_at']}); left unchanged"
    )
    assert sum(result.existing.values()) + len(result.conflicts) == total
    assert api.get(f"/tasks/{seeded['task_id']}").body["task"]["status"] == "todo"


def test_dry_run_validates_and_writes_nothing(seeded: dict[str, Any], tmp_path: Path) -> None:
    export_to("acme", tmp_path)

    result = container().import_service.import_directory("initech", tmp_path, dry_run=True)

    assert result.written["bundle"] == 2 and result.written["task"] == 25
    assert tenant_partition_count("initech") == 0


def test_cli_export_validate_import(
    seeded: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dump"

    assert main(["export", "--tenant", "acme", "--out", str(out)]) == 0
    assert main(["export", "validate", str(out)]) == 0
    assert main(["import", "--tenant", "initech", str(out)]) == 0
    captured = capsys.readouterr()
    assert "tasks.jsonl: 25" in captured.out and "export is valid" in captured.out
    assert "task: wrote 25, already present 0" in captured.out

    comments = out / "comments.jsonl"
    comments.write_text(comments.read_text().replace("draft", "DRAFT"))
    assert main(["export", "validate", str(out)]) == 1
    assert main(["import", "--tenant", "hooli", str(out)]) == 1
    assert "comments.jsonl: SHA-256 does not match" in capsys.readouterr().out
    assert tenant_partition_count("hooli") == 0


def test_artifacts_imported_into_another_tenant_never_point_at_the_source_tenants_objects(
    seeded: dict[str, Any], tmp_path: Path
) -> None:
    # Given an export without binaries whose artifact object is gone (another deployment's bucket)
    export_to("acme", tmp_path)
    (source,) = records(tmp_path, "artifacts.jsonl")
    client("s3").delete_object(Bucket=get_settings().bucket_name, Key=source["s3_key"])

    # When it is imported into another tenant
    container().import_service.import_directory("initech", tmp_path)

    # Then the artifact keeps its metadata under the new tenant's key and is marked rejected
    stored = stored_by_id("initech", "a_1")
    assert len(stored) == 1
    assert stored[0]["s3_key"]["S"].startswith("tenants/initech/")
    assert stored[0]["status"]["S"] == "rejected"
    assert "binary" in stored[0]["rejection_reason"]["S"]


def test_artifact_binaries_are_copied_to_the_importing_tenants_keys(
    seeded: dict[str, Any], tmp_path: Path
) -> None:
    export_to("acme", tmp_path)

    container().import_service.import_directory("initech", tmp_path)

    bucket = get_settings().bucket_name
    listed = client("s3").list_objects_v2(Bucket=bucket, Prefix="tenants/initech/")["Contents"]
    assert len(listed) == 1
    body = client("s3").get_object(Bucket=bucket, Key=listed[0]["Key"])["Body"].read()
    assert body == BINARY


def sweep_well_past_every_due_date() -> None:
    """The sweep moves tasks' index keys and publishes reminders: bookkeeping, not business content."""
    world = World(Clock(datetime(2027, 3, 1, 9, tzinfo=UTC)))
    world.sweep(datetime(2027, 3, 1, 9, tzinfo=UTC))


def test_import_rerun_after_a_sweep_is_a_no_op(seeded: dict[str, Any], tmp_path: Path) -> None:
    # Given an export imported into another tenant, then a sweep over it
    export_to("acme", tmp_path)
    service = container().import_service
    first = service.import_directory("initech", tmp_path)
    assert first.ok and sum(first.written.values()) > 0
    sweep_well_past_every_due_date()

    # When the same export is imported again
    second = service.import_directory("initech", tmp_path)

    # Then nothing is written and nothing conflicts
    assert second.conflicts == []
    assert sum(second.written.values()) == 0
    assert second.existing == first.written


def test_import_back_into_its_own_tenant_after_a_sweep_has_no_conflicts(
    seeded: dict[str, Any], tmp_path: Path
) -> None:
    export_to("acme", tmp_path)
    sweep_well_past_every_due_date()

    result = container().import_service.import_directory("acme", tmp_path)

    assert result.conflicts == [] and sum(result.written.values()) == 0


def test_import_reads_and_writes_in_batches(seeded: dict[str, Any], tmp_path: Path) -> None:
    # Given
    export_to("acme", tmp_path)
    total = sum(1 for spec in ENTITY_SPECS for _ in records(tmp_path, spec.file))
    writer = CountingWriter(DynamoRecordWriter(client("dynamodb"), get_settings().table_name))

    # When
    result = ImportService(writer, signer=container().export_signer).import_directory("initech", tmp_path)

    # Then one read and one write call per entity file, not one per record
    assert result.ok and sum(result.written.values()) == total
    files = sum(1 for spec in ENTITY_SPECS if records(tmp_path, spec.file))
    assert writer.calls == {"stored": files, "put_new": files}
    assert total > 2 * files


class CountingWriter:
    def __init__(self, inner: DynamoRecordWriter) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def stored(self, items: Sequence[AttributeMap]) -> dict[tuple[str, str], AttributeMap]:
        self.calls["stored"] += 1
        return self.inner.stored(items)

    def put_new(self, items: Sequence[AttributeMap]) -> list[AttributeMap]:
        self.calls["put_new"] += 1
        return self.inner.put_new(items)
