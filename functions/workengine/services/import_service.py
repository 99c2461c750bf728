"""Imports a validated export directory into a tenant: stable IDs kept, only the tenant rewritten, each
record written with a conditional put (key absent) so a rerun after an interruption completes without
duplicates. Records are streamed file by file in dependency order (bundles first, audit events last),
100 at a time: one BatchGetItem for their keys, the absent ones written in transactions of 25. A stored
record counts as imported when its business content equals the export's (``import_comparison``), so
bookkeeping the engine did since (index keys, reminder delivery, schedule runs) never makes a conflict.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from workengine.dal.codec import AttributeMap
from workengine.dal.export_storage import PlacedObject, item_key
from workengine.dal.portable_items import item_for_record, record_for_item
from workengine.domain.export_format import BINARY_INDEX_FILE, ENTITY_SPECS, BinaryEntry, rewrite_tenant
from workengine.domain.export_signing import ManifestSigner, SignatureStatus
from workengine.domain.import_comparison import same_business_content, version_note
from workengine.observability import logger
from workengine.services.artifact_service import artifact_key
from workengine.services.export_validation import require_valid

Progress = Callable[[int], None]
# Records read and written together: one BatchGetItem (at most 100 keys) per batch.
IMPORT_BATCH = 100


class RecordWriter(Protocol):
    def stored(self, items: Sequence[AttributeMap]) -> dict[tuple[str, str], AttributeMap]: ...

    def put_new(self, items: Sequence[AttributeMap]) -> list[AttributeMap]: ...


class BinaryTarget(Protocol):
    def upload(self, path: Path, key: str, content_type: str) -> PlacedObject: ...

    def copy(
        self, source_key: str, target_key: str, source_version_id: str | None
    ) -> PlacedObject | None: ...


NOT_IMPORTED_REASON = "the binary was not imported with the artifact (export with --with-binaries)"


@dataclass
class ImportResult:
    tenant_id: str
    source_tenant_id: str
    dry_run: bool
    written: Counter[str] = field(default_factory=Counter)
    existing: Counter[str] = field(default_factory=Counter)
    conflicts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.conflicts


class ImportService:
    """Raises ExportInvalidError (a ValidationFailedError listing ``file:line`` problems) before writing
    anything when the export does not validate or its format version is unknown; ServiceUnavailableError
    when DynamoDB throttles. An item already stored with different content is reported in
    ``ImportResult.conflicts`` and never overwritten."""

    def __init__(
        self, writer: RecordWriter, binaries: BinaryTarget | None = None, *, signer: ManifestSigner
    ) -> None:
        self._writer = writer
        self._binaries = binaries
        self._signer = signer

    def _place_artifact(
        self,
        record: dict[str, Any],
        directory: Path,
        binary_files: dict[str, str],
        source_tenant: str,
        *,
        signed: bool,
        dry_run: bool,
    ) -> dict[str, Any]:
        """Every key is recomputed from the record's (rewritten) tenant, bundle, ID and filename, never
        taken from the file. An artifact imported into another tenant gets its binary placed under the
        new key: from the export's ``binaries/``, or, for a signed export only, by copying the pinned
        version of the *source tenant's own* derived key. When neither is possible the artifact is kept
        as metadata only and marked rejected with the reason."""
        target_key = artifact_key(
            record["tenant_id"], record["bundle_id"], record["artifact_id"], record["filename"]
        )
        same_tenant = record["tenant_id"] == source_tenant
        record = {**record, "s3_key": target_key}
        if same_tenant or dry_run or record.get("status") != "uploaded":
            return record
        placed: PlacedObject | None = None
        if self._binaries is not None:
            local = binary_files.get(record["artifact_id"])
            if local is not None:
                placed = self._binaries.upload(directory / local, target_key, record["content_type"])
            elif signed:
                source_key = artifact_key(
                    source_tenant, record["bundle_id"], record["artifact_id"], record["filename"]
                )
                placed = self._binaries.copy(source_key, target_key, record.get("s3_version_id"))
        if placed is None:
            record.update(status="rejected", rejection_reason=NOT_IMPORTED_REASON, s3_version_id=None)
        else:
            record["s3_version_id"] = placed.version_id
        return record

    def import_directory(
        self,
        tenant_id: str,
        directory: Path,
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
        allow_unsigned: bool = False,
    ) -> ImportResult:
        """``allow_unsigned`` (an operator's explicit choice, logged) imports an export whose signature
        is missing or not this deployment's; binaries then come only from the export's ``binaries/``."""
        report = require_valid(directory, signer=self._signer, allow_unsigned=allow_unsigned)
        assert report.manifest is not None
        signed = report.signature is SignatureStatus.VALID
        if not signed:
            logger.warning(
                "importing an export that is not signed by this deployment (--allow-unsigned)",
                extra={
                    "tenant_id": tenant_id,
                    "signature": str(report.signature),
                    "directory": str(directory),
                },
            )
        source_tenant = report.manifest.tenant_id
        result = ImportResult(tenant_id=tenant_id, source_tenant_id=source_tenant, dry_run=dry_run)
        listed = {entry.entity_type for entry in report.manifest.files}
        binary_files = _binary_files(directory) if source_tenant != tenant_id else {}
        done = 0
        for spec in ENTITY_SPECS:
            if spec.entity_type not in listed:
                continue
            batch: list[_Pending] = []
            with (directory / spec.file).open("rb") as handle:
                for number, line in enumerate(handle, start=1):
                    record: dict[str, Any] = rewrite_tenant(json.loads(line), source_tenant, tenant_id)
                    if spec.entity_type == "artifact":
                        record = self._place_artifact(
                            record, directory, binary_files, source_tenant, signed=signed, dry_run=dry_run
                        )
                    item = item_for_record(spec.entity_type, record)
                    if dry_run:
                        result.written[spec.entity_type] += 1
                    else:
                        batch.append(_Pending(spec.file, number, record[spec.id_field], item))
                        if len(batch) == IMPORT_BATCH:
                            self._import_batch(spec.entity_type, batch, result)
                            batch = []
                    done += 1
                    if progress is not None:
                        progress(done)
            if batch:
                self._import_batch(spec.entity_type, batch, result)
        return result

    def _import_batch(self, entity_type: str, batch: list[_Pending], result: ImportResult) -> None:
        """One BatchGetItem for the batch's keys; absent records written in transactions; a stored one
        is done when its business content is the record's, else a conflict left unchanged."""
        stored = self._writer.stored([pending.item for pending in batch])
        absent = [pending for pending in batch if item_key(pending.item) not in stored]
        taken = {item_key(item) for item in self._writer.put_new([pending.item for pending in absent])}
        result.written[entity_type] += len(absent) - len(taken)
        if taken:
            stored.update(self._writer.stored([p.item for p in absent if item_key(p.item) in taken]))
        written = {item_key(pending.item) for pending in absent} - taken
        for pending in batch:
            key = item_key(pending.item)
            if key not in written and key in stored:
                self._compare(entity_type, pending, stored[key], result)

    @staticmethod
    def _compare(entity_type: str, pending: _Pending, stored: AttributeMap, result: ImportResult) -> None:
        decoded = record_for_item(stored)
        current = decoded[1] if decoded else {}
        _, imported = record_for_item(pending.item) or ("", {})
        if same_business_content(entity_type, imported, current):
            result.existing[entity_type] += 1
            return
        result.conflicts.append(
            f"{pending.file}:{pending.line}: {entity_type} {pending.record_id!r} already exists in the "
            f"tenant with different content (stored: {version_note(current)}; export: "
            f"{version_note(imported)}); left unchanged"
        )


@dataclass(frozen=True)
class _Pending:
    file: str
    line: int
    record_id: str
    item: AttributeMap = field(hash=False, compare=False)


def _binary_files(directory: Path) -> dict[str, str]:
    index = directory / BINARY_INDEX_FILE
    if not index.exists():
        return {}
    files: dict[str, str] = {}
    with index.open("rb") as handle:
        for line in handle:
            entry = BinaryEntry.model_validate_json(line)
            files[entry.artifact_id] = entry.file
    return files
