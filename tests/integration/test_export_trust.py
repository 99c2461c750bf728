"""An export file is untrusted input: object keys are derived, never taken from the file; exports are
signed; an unsigned or re-signed export is refused unless the operator allows it, and even then no
server-side copy reads outside the export's own binaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_export_import import (
    BINARY,
    export_to,
    records,
    refresh_manifest_entry,
    seeded,
    stored_by_id,
    tenant_partition_count,
)
from tests.support.api import ApiClient, Caller
from workengine.composition import container
from workengine.dal.aws import client
from workengine.domain.enums import Role
from workengine.domain.export_format import MANIFEST_FILE
from workengine.domain.export_signing import SIGNATURE_FILE, ManifestSigner, SignatureStatus
from workengine.services.artifact_service import artifact_key
from workengine.services.export_validation import ExportInvalidError, validate_export
from workengine.settings import get_settings
from workengine_tools.cli.main import main

__all__ = ["seeded"]  # the fixture, shared with the round-trip tests

SECRET_BYTES = b"%PDF-1.4 globex board minutes\n" * 12


def globex_object(outsider_bundle_id: str) -> str:
    """Tenant B (globex) owns an uploaded artifact; returns its object key."""
    key = artifact_key("globex", outsider_bundle_id, "a_globex", "minutes.pdf")
    client("s3").put_object(Bucket=get_settings().bucket_name, Key=key, Body=SECRET_BYTES)
    return key


def append_forged_artifact(directory: Path, s3_key: str, bundle_id: str) -> None:
    """The attack: a record naming another tenant's object, with the manifest hashes recomputed."""
    (template,) = records(directory, "artifacts.jsonl")
    forged = {**template, "artifact_id": "a_forged", "filename": "minutes.pdf", "s3_key": s3_key}
    forged["bundle_id"] = bundle_id
    with (directory / "artifacts.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(forged, sort_keys=True) + "\n")
    refresh_manifest_entry(directory, "artifacts.jsonl")


@pytest.fixture
def globex_bundle(api: ApiClient, outsider: Caller) -> str:
    created = api.post(
        "/bundles",
        {"template_id": "test-flow", "title": "Board", "anchor_date": "2026-10-01"},
        caller=outsider,
    )
    assert created.status == 201
    return str(created.body["bundle"]["bundle_id"])


@pytest.mark.parametrize("target", ["acme", "initech"], ids=["same-tenant", "new-tenant"])
def test_an_artifact_record_naming_another_tenants_object_is_refused(
    seeded: dict[str, Any], globex_bundle: str, tmp_path: Path, api: ApiClient, target: str
) -> None:
    # Given an export of acme with an appended artifact record whose s3_key is globex's object
    secret_key = globex_object(globex_bundle)
    export_to("acme", tmp_path)
    append_forged_artifact(tmp_path, secret_key, seeded["bundle_id"])

    # When it is validated and imported (even by an operator who allows unsigned exports)
    report = validate_export(tmp_path)
    with pytest.raises(ExportInvalidError) as refused:
        container().import_service.import_directory(target, tmp_path, allow_unsigned=True)

    # Then the validator names the record, nothing is written, and no member can download the file
    (problem,) = [str(p) for p in report.problems]
    assert problem.startswith("artifacts.jsonl:2: artifact 'a_forged' has s3_key")
    assert "a_forged" in str(refused.value)
    member = Caller(target, "mo", Role.MEMBER)
    assert api.get("/artifacts/a_forged", caller=member).status == 404
    if target == "initech":
        assert tenant_partition_count("initech") == 0


def test_a_genuine_export_is_signed_and_verifies(seeded: dict[str, Any], tmp_path: Path) -> None:
    export_to("acme", tmp_path)

    report = validate_export(tmp_path, signer=container().export_signer)

    assert report.ok and report.signature is SignatureStatus.VALID
    assert json.loads((tmp_path / SIGNATURE_FILE).read_text())["algorithm"] == "HMAC-SHA256"


def resign(directory: Path, secret: str) -> None:
    signature = ManifestSigner(secret).sign((directory / MANIFEST_FILE).read_bytes())
    (directory / SIGNATURE_FILE).write_text(signature.model_dump_json())


@pytest.mark.parametrize("how", ["unsigned", "re-signed"])
def test_unsigned_or_resigned_exports_are_refused_unless_allowed(
    seeded: dict[str, Any], tmp_path: Path, how: str
) -> None:
    # Given an export edited by hand (a title changed, hashes recomputed), then unsigned or re-signed
    export_to("acme", tmp_path)
    path = tmp_path / "bundles.jsonl"
    path.write_text(path.read_text().replace("Launch v2", "Launch v3"))
    refresh_manifest_entry(tmp_path, "bundles.jsonl")
    if how == "unsigned":
        (tmp_path / SIGNATURE_FILE).unlink()
    else:
        resign(tmp_path, "an-attackers-own-secret-0123456789")
    service = container().import_service

    # When it is imported: refused, nothing written
    with pytest.raises(ExportInvalidError, match=SIGNATURE_FILE):
        service.import_directory("initech", tmp_path)
    assert tenant_partition_count("initech") == 0

    # Then only an explicit --allow-unsigned imports it
    result = service.import_directory("initech", tmp_path, allow_unsigned=True)
    assert result.ok and result.written["bundle"] == 2


def test_an_unsigned_export_never_copies_binaries_from_the_bucket(
    seeded: dict[str, Any], globex_bundle: str, tmp_path: Path
) -> None:
    # Given tenant globex's uploaded artifact, and an acme export rewritten by hand to claim it is an
    # export of globex naming that artifact (every key derived correctly, hashes recomputed, unsigned)
    globex_object(globex_bundle)
    export_to("acme", tmp_path)
    for spec_file in [p.name for p in tmp_path.glob("*.jsonl")]:
        text = (tmp_path / spec_file).read_text().replace('"acme"', '"globex"')
        (tmp_path / spec_file).write_text(text)
    (artifact,) = records(tmp_path, "artifacts.jsonl")
    artifact.update(
        artifact_id="a_globex",
        filename="minutes.pdf",
        s3_key=artifact_key("globex", artifact["bundle_id"], "a_globex", "minutes.pdf"),
    )
    (tmp_path / "artifacts.jsonl").write_text(json.dumps(artifact, sort_keys=True) + "\n")
    events = [e for e in records(tmp_path, "audit_events.jsonl") if e["entity_type"] != "artifact"]
    (tmp_path / "audit_events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    manifest["tenant_id"] = "globex"
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(manifest))
    for entry in manifest["files"]:
        refresh_manifest_entry(tmp_path, entry["file"])
    (tmp_path / SIGNATURE_FILE).unlink()
    problems = validate_export(tmp_path).problems
    assert problems == []  # structurally perfect; only the signature is missing

    # When an operator imports it into acme with --allow-unsigned
    container().import_service.import_directory("acme", tmp_path, allow_unsigned=True)

    # Then no server-side copy read globex's object: the artifact is metadata only, rejected
    bucket = get_settings().bucket_name
    copied = client("s3").list_objects_v2(
        Bucket=bucket, Prefix=f"tenants/acme/bundles/{artifact['bundle_id']}/"
    )
    assert [o["Key"] for o in copied.get("Contents", []) if "a_globex" in o["Key"]] == []
    (stored,) = stored_by_id("acme", "a_globex")
    assert stored["status"]["S"] == "rejected"


def test_a_task_naming_an_artifact_outside_the_export_is_refused(
    seeded: dict[str, Any], tmp_path: Path
) -> None:
    export_to("acme", tmp_path)
    tasks = records(tmp_path, "tasks.jsonl")
    tasks[0]["proof"]["artifact_ids"] = ["a_of_another_tenant"]
    (tmp_path / "tasks.jsonl").write_text("".join(json.dumps(t, sort_keys=True) + "\n" for t in tasks))
    refresh_manifest_entry(tmp_path, "tasks.jsonl")

    problems = [str(p) for p in validate_export(tmp_path).problems]

    assert problems == [
        f"tasks.jsonl:1: task {tasks[0]['task_id']!r} names artifact 'a_of_another_tenant' "
        "which is not in the export"
    ]


def test_binary_index_must_match_the_artifacts_derived_key_and_accepted_checksum(
    seeded: dict[str, Any], tmp_path: Path
) -> None:
    export_to("acme", tmp_path, with_binaries=True)
    (entry,) = records(tmp_path, "binaries.jsonl")
    entry["s3_key"] = "tenants/globex/bundles/b/artifacts/a/x.pdf"
    (tmp_path / "binaries.jsonl").write_text(json.dumps(entry) + "\n")
    refresh_manifest_entry(tmp_path, "binaries.jsonl")

    problems = [str(p) for p in validate_export(tmp_path).problems]

    assert problems == ["binaries.jsonl:1: s3_key of 'a_1' is not its artifact's"]
    assert (tmp_path / "binaries" / "a_1").read_bytes() == BINARY


def test_cli_import_refuses_unsigned_and_logs_allow_unsigned(
    seeded: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dump"
    assert main(["export", "--tenant", "acme", "--out", str(out)]) == 0
    (out / SIGNATURE_FILE).unlink()

    assert main(["export", "validate", str(out)]) == 1
    assert main(["import", "--tenant", "initech", str(out)]) == 1
    refused = capsys.readouterr()
    assert "manifest.sig: missing: the export is unsigned" in refused.out
    assert tenant_partition_count("initech") == 0

    assert main(["import", "--tenant", "initech", "--allow-unsigned", str(out)]) == 0
    allowed = capsys.readouterr()
    assert "--allow-unsigned" in allowed.err and "not signed by this deployment" in allowed.out + allowed.err
    assert tenant_partition_count("initech") == 2
