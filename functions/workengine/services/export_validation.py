"""Checks an export directory before anyone trusts it: format version, manifest, per-file SHA-256 and
record counts, record schemas, tenant, unique IDs and referential integrity. Files are streamed line by
line; only IDs (and each task's bundle) are kept in memory. Every problem names ``file:line``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from workengine.domain.entities import ExportManifest
from workengine.domain.errors import ValidationFailedError
from workengine.domain.export_format import (
    BINARY_ENTITY_TYPE,
    BINARY_INDEX_FILE,
    ENTITY_SPECS,
    MANIFEST_FILE,
    SPEC_BY_TYPE,
    SUPPORTED_FORMAT_VERSIONS,
    BinaryEntry,
    EntitySpec,
    record_error_message,
)
from workengine.domain.export_signing import (
    SIGNATURE_FILE,
    ManifestSignature,
    ManifestSigner,
    SignatureStatus,
)
from workengine.domain.filenames import sanitise_filename
from workengine.services.artifact_service import artifact_key, tenant_prefix

# Names that only storage items carry; an export record holding one leaks the storage layout.
STORAGE_KEY_NAMES = frozenset({"pk", "sk", "expiration"})
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


@dataclass
class ValidationReport:
    manifest: ExportManifest | None = None
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # None when no key was at hand to check it (``validate_export`` without a signer).
    signature: SignatureStatus | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


class ExportInvalidError(ValidationFailedError):
    """The export directory failed validation; ``problems`` lists each ``file:line: message``."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            f"the export is not valid ({len(problems)} problem(s)); first: {problems[0]}",
            {"problems": [str(problem) for problem in problems[:100]]},
        )
        self.problems = problems


def _lines(path: Path, digest: Any) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            digest.update(line)
            yield number, line


def _looks_like_storage_key(name: str) -> bool:
    return name in STORAGE_KEY_NAMES or name.startswith("gsi_")


class _Checker:
    def __init__(
        self, directory: Path, max_problems: int, signer: ManifestSigner | None, allow_unsigned: bool
    ) -> None:
        self.directory = directory
        self.max_problems = max_problems
        self.signer = signer
        self.allow_unsigned = allow_unsigned
        self.report = ValidationReport()
        self.ids: dict[str, set[str]] = {spec.entity_type: set() for spec in ENTITY_SPECS}
        self.task_bundle: dict[str, str] = {}
        self.artifact_keys: dict[str, str] = {}
        self.artifact_sha256: dict[str, str | None] = {}
        self.artifact_bundle: dict[str, str] = {}
        # References to records of a later file (or later in the same file): checked at the end.
        self.deferred: list[tuple[str, int, str, str, str]] = []
        self.manifest_bytes: bytes | None = None

    def problem(self, file: str, line: int | None, message: str) -> None:
        if len(self.report.problems) < self.max_problems:
            self.report.problems.append(Problem(file, line, message))

    def run(self) -> ValidationReport:
        manifest = self.read_manifest()
        if self.manifest_bytes is not None:
            self.check_signature(self.manifest_bytes)
        if manifest is None:
            return self.report
        self.report.manifest = manifest
        entries = self.check_file_list(manifest)
        for spec in ENTITY_SPECS:
            entry = entries.get(spec.entity_type)
            if entry is not None:
                self.check_entity_file(spec, entry.file, entry.count, entry.sha256, manifest.tenant_id)
        binary_entry = entries.get(BINARY_ENTITY_TYPE)
        if binary_entry is not None:
            self.check_binaries(binary_entry.count, binary_entry.sha256)
        self.check_deferred()
        return self.report

    # ---- signature --------------------------------------------------------------------------------
    def check_signature(self, manifest_bytes: bytes) -> None:
        if self.signer is None:
            return
        status = self.signer.verify(manifest_bytes, self.read_signature())
        self.report.signature = status
        if status is SignatureStatus.VALID or self.allow_unsigned:
            return
        why = (
            "missing: the export is unsigned"
            if status is SignatureStatus.MISSING
            else "does not match: the manifest was changed or signed with another key"
        )
        self.problem(SIGNATURE_FILE, None, f"{why}; refusing (an operator may pass --allow-unsigned)")

    def read_signature(self) -> ManifestSignature | None:
        path = self.directory / SIGNATURE_FILE
        if not path.is_file():
            return None
        try:
            return ManifestSignature.model_validate_json(path.read_bytes())
        except ValidationError:
            return ManifestSignature(algorithm="unreadable", key_id="", signature="")

    # ---- manifest ---------------------------------------------------------------------------------
    def read_manifest(self) -> ExportManifest | None:
        path = self.directory / MANIFEST_FILE
        if not path.is_file():
            self.problem(MANIFEST_FILE, None, "missing: this directory is not an export")
            return None
        manifest_bytes = path.read_bytes()
        self.manifest_bytes = manifest_bytes
        try:
            raw = json.loads(manifest_bytes.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            self.problem(MANIFEST_FILE, None, f"not valid JSON: {exc}")
            return None
        if not isinstance(raw, dict):
            self.problem(MANIFEST_FILE, None, "must be a JSON object")
            return None
        version = raw.get("format_version")
        if version not in SUPPORTED_FORMAT_VERSIONS:
            supported = ", ".join(str(v) for v in sorted(SUPPORTED_FORMAT_VERSIONS))
            self.problem(
                MANIFEST_FILE,
                None,
                f"format_version {version!r} is not supported (this version reads {supported}); refusing",
            )
            return None
        try:
            return ExportManifest.model_validate(raw)
        except ValidationError as exc:
            self.problem(MANIFEST_FILE, None, f"invalid manifest: {record_error_message(exc)}")
            return None

    def check_file_list(self, manifest: ExportManifest) -> dict[str, Any]:
        entries: dict[str, Any] = {}
        for entry in manifest.files:
            spec = SPEC_BY_TYPE.get(entry.entity_type)
            expected = (
                spec.file if spec else BINARY_INDEX_FILE if entry.entity_type == BINARY_ENTITY_TYPE else None
            )
            if expected is None:
                self.problem(MANIFEST_FILE, None, f"unknown entity type {entry.entity_type!r} in files")
            elif entry.file != expected:
                self.problem(
                    MANIFEST_FILE, None, f"{entry.entity_type} must be in {expected!r}, not {entry.file!r}"
                )
            elif entry.entity_type in entries:
                self.problem(MANIFEST_FILE, None, f"{entry.entity_type} is listed twice in files")
            else:
                entries[entry.entity_type] = entry
        excluded = {item.entity_type for item in manifest.not_exported}
        for spec in ENTITY_SPECS:
            if spec.entity_type not in entries and spec.entity_type not in excluded:
                self.problem(
                    MANIFEST_FILE,
                    None,
                    f"{spec.entity_type} is neither in files nor in not_exported (absent is not empty)",
                )
        if manifest.artifact_binaries_included and BINARY_ENTITY_TYPE not in entries:
            self.problem(MANIFEST_FILE, None, f"artifact_binaries_included but no {BINARY_INDEX_FILE} listed")
        return entries

    # ---- entity files -----------------------------------------------------------------------------
    def check_entity_file(self, spec: EntitySpec, file: str, count: int, sha256: str, tenant_id: str) -> None:
        path = self.directory / file
        if not path.is_file():
            self.problem(file, None, "listed in the manifest but missing")
            return
        digest = hashlib.sha256()
        lines = 0
        seen = self.ids[spec.entity_type]
        for number, raw in _lines(path, digest):
            lines = number
            record = self.parse_line(file, number, raw)
            if record is None:
                continue
            leaked = sorted(name for name in record if _looks_like_storage_key(name))
            if leaked:
                self.problem(file, number, f"storage key attribute(s) {', '.join(leaked)} must not appear")
            try:
                spec.parse(record)
            except ValidationError as exc:
                self.problem(
                    file, number, f"{spec.entity_type} does not match its schema: {record_error_message(exc)}"
                )
                continue
            record_id = str(record[spec.id_field])
            if record.get("tenant_id") != tenant_id:
                self.problem(
                    file,
                    number,
                    f"tenant_id {record.get('tenant_id')!r} differs from the manifest's {tenant_id!r}",
                )
            if record_id in seen:
                self.problem(file, number, f"duplicate {spec.id_field} {record_id!r}")
            seen.add(record_id)
            if spec.entity_type == "task":
                self.task_bundle[record_id] = record["bundle_id"]
                self.defer_task_references(file, number, record)
            elif spec.entity_type == "artifact":
                self.check_artifact_key(file, number, record)
            elif spec.entity_type == "audit_event":
                self.check_snapshot_keys(file, number, record, tenant_id)
            self.check_references(spec, file, number, record)
        self.report.counts[spec.entity_type] = lines
        if lines != count:
            self.problem(file, None, f"has {lines} record(s) but the manifest says {count}")
        if digest.hexdigest() != sha256:
            self.problem(
                file, None, "SHA-256 does not match the manifest (the file was changed or truncated)"
            )

    def parse_line(self, file: str, number: int, raw: bytes) -> dict[str, Any] | None:
        try:
            record = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            self.problem(file, number, f"not valid JSON: {exc}")
            return None
        if not isinstance(record, dict):
            self.problem(file, number, "a record must be a JSON object")
            return None
        return record

    def check_references(self, spec: EntitySpec, file: str, number: int, record: dict[str, Any]) -> None:
        own_id = record[spec.id_field]
        for reference in spec.references:
            target_id = record.get(reference.field)
            if target_id is None and reference.optional:
                continue
            if target_id not in self.ids[reference.target]:
                target_file = SPEC_BY_TYPE[reference.target].file
                self.problem(
                    file,
                    number,
                    f"{spec.entity_type} {own_id!r} references {reference.target} {target_id!r} "
                    f"({reference.field}) which is not in {target_file}",
                )
        task_id = record.get("task_id")
        if (
            spec.same_bundle_as_task
            and task_id in self.task_bundle
            and self.task_bundle[task_id] != record.get("bundle_id")
        ):
            self.problem(
                file,
                number,
                f"{spec.entity_type} {own_id!r} names bundle {record.get('bundle_id')!r} but its task "
                f"{task_id!r} belongs to bundle {self.task_bundle[task_id]!r}",
            )
        if spec.entity_type == "audit_event":
            subject = SPEC_BY_TYPE.get(str(record.get("entity_type")))
            if subject is not None and record.get("entity_id") not in self.ids[subject.entity_type]:
                self.problem(
                    file,
                    number,
                    f"audit event {own_id!r} is about {subject.entity_type} {record.get('entity_id')!r} "
                    f"which is not in {subject.file}",
                )

    # ---- keys and references an import would act on -----------------------------------------------
    def check_artifact_key(self, file: str, number: int, record: dict[str, Any]) -> None:
        """The object key is never taken from the file: it must be the one the format derives from the
        record's own tenant, bundle, ID and (sanitised) file name, or the record is refused."""
        artifact_id = str(record["artifact_id"])
        filename = str(record["filename"])
        try:
            safe = sanitise_filename(filename)
        except ValidationFailedError:
            safe = None
        if safe != filename:
            self.problem(file, number, f"artifact {artifact_id!r} has an unsafe filename {filename!r}")
            return
        expected = artifact_key(str(record["tenant_id"]), str(record["bundle_id"]), artifact_id, filename)
        if record["s3_key"] != expected:
            self.problem(
                file,
                number,
                f"artifact {artifact_id!r} has s3_key {record['s3_key']!r}, not the key its tenant, "
                f"bundle, ID and filename give ({expected!r}); refusing",
            )
        self.artifact_keys[artifact_id] = expected
        self.artifact_sha256[artifact_id] = record.get("sha256")
        self.artifact_bundle[artifact_id] = str(record["bundle_id"])

    def defer_task_references(self, file: str, number: int, record: dict[str, Any]) -> None:
        task_id = str(record["task_id"])
        proof = record.get("proof") or {}
        for artifact_id in proof.get("artifact_ids") or []:
            self.deferred.append((file, number, task_id, "artifact", str(artifact_id)))
        for other in record.get("depends_on") or []:
            self.deferred.append((file, number, task_id, "task", str(other)))
        if record.get("offset_from"):
            self.deferred.append((file, number, task_id, "task", str(record["offset_from"])))

    def check_deferred(self) -> None:
        """A task may only point at artifacts and tasks of its own bundle in this export: an ID of
        another tenant's item (or of nothing) is refused, not imported as a dangling pointer."""
        owners = {"artifact": self.artifact_bundle, "task": self.task_bundle}
        for file, number, task_id, target, target_id in self.deferred:
            bundle = owners[target].get(target_id)
            if bundle is None:
                self.problem(
                    file, number, f"task {task_id!r} names {target} {target_id!r} which is not in the export"
                )
            elif bundle != self.task_bundle.get(task_id):
                self.problem(file, number, f"task {task_id!r} names {target} {target_id!r} of another bundle")

    def check_snapshot_keys(self, file: str, number: int, record: dict[str, Any], tenant_id: str) -> None:
        prefix = tenant_prefix(tenant_id)
        for snapshot in (record.get("before"), record.get("after")):
            key = snapshot.get("s3_key") if isinstance(snapshot, dict) else None
            if key is not None and not str(key).startswith(prefix):
                self.problem(
                    file, number, f"audit event {record['event_id']!r} names an object outside {prefix!r}"
                )

    # ---- binaries ---------------------------------------------------------------------------------
    def check_binaries(self, count: int, sha256: str) -> None:
        path = self.directory / BINARY_INDEX_FILE
        if not path.is_file():
            self.problem(BINARY_INDEX_FILE, None, "listed in the manifest but missing")
            return
        digest = hashlib.sha256()
        lines = 0
        for number, raw in _lines(path, digest):
            lines = number
            record = self.parse_line(BINARY_INDEX_FILE, number, raw)
            if record is None:
                continue
            try:
                entry = BinaryEntry.model_validate(record)
            except ValidationError as exc:
                self.problem(BINARY_INDEX_FILE, number, f"invalid entry: {record_error_message(exc)}")
                continue
            if entry.artifact_id not in self.ids["artifact"]:
                self.problem(
                    BINARY_INDEX_FILE, number, f"artifact {entry.artifact_id!r} is not in artifacts.jsonl"
                )
            elif entry.s3_key != self.artifact_keys.get(entry.artifact_id):
                self.problem(
                    BINARY_INDEX_FILE, number, f"s3_key of {entry.artifact_id!r} is not its artifact's"
                )
            elif self.artifact_sha256.get(entry.artifact_id) not in (None, entry.sha256):
                self.problem(
                    BINARY_INDEX_FILE,
                    number,
                    f"binary of {entry.artifact_id!r} is not the bytes accepted (SHA-256 differs)",
                )
            self.check_binary_file(number, entry)
        self.report.counts[BINARY_ENTITY_TYPE] = lines
        if lines != count:
            self.problem(BINARY_INDEX_FILE, None, f"has {lines} record(s) but the manifest says {count}")
        if digest.hexdigest() != sha256:
            self.problem(BINARY_INDEX_FILE, None, "SHA-256 does not match the manifest")

    def check_binary_file(self, number: int, entry: BinaryEntry) -> None:
        expected_name = f"binaries/{entry.artifact_id}"
        if entry.file != expected_name:
            self.problem(BINARY_INDEX_FILE, number, f"file must be {expected_name!r}")
            return
        path = self.directory / expected_name
        if not path.is_file():
            self.problem(BINARY_INDEX_FILE, number, f"{expected_name} is missing")
            return
        digest = hashlib.sha256()
        size = 0
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        if size != entry.size_bytes or digest.hexdigest() != entry.sha256:
            self.problem(BINARY_INDEX_FILE, number, f"{expected_name} does not match its size/SHA-256")


def validate_export(
    directory: Path,
    max_problems: int = 1000,
    *,
    signer: ManifestSigner | None = None,
    allow_unsigned: bool = False,
) -> ValidationReport:
    """Every problem of the export in ``directory`` (at most ``max_problems``); never raises for a bad
    export, only for an unreadable directory. With ``signer`` a missing or wrong signature is a problem
    unless ``allow_unsigned``."""
    return _Checker(directory, max_problems, signer, allow_unsigned).run()


def require_valid(
    directory: Path, *, signer: ManifestSigner | None = None, allow_unsigned: bool = False
) -> ValidationReport:
    """Raises ExportInvalidError listing the problems when the export is not valid."""
    report = validate_export(directory, signer=signer, allow_unsigned=allow_unsigned)
    if not report.ok:
        raise ExportInvalidError(report.problems)
    return report
