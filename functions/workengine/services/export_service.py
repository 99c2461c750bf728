"""Portable export of a tenant: records stream from paginated Queries into JSON Lines files (hashed and
counted as they are written), then a manifest; and the export runs (start, run, report) behind the API.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from workengine.dal.codec import AttributeMap
from workengine.dal.export_storage import DynamoExportRuns
from workengine.dal.portable_items import record_for_item
from workengine.dal.table import DEFINITIONS_COLLECTION, SCHEDULES_COLLECTION
from workengine.domain.clock import Clock, utc_now
from workengine.domain.entities import ExcludedEntity, ExportFileEntry, ExportManifest
from workengine.domain.enums import Role
from workengine.domain.errors import ServiceUnavailableError
from workengine.domain.export_format import (
    BINARIES_DIR,
    BINARIES_NOT_COPIED,
    BINARY_ENTITY_TYPE,
    BINARY_INDEX_FILE,
    ENTITY_SPECS,
    FORMAT_VERSION,
    MANIFEST_FILE,
    NOT_EXPORTED,
    BinaryEntry,
    ExportRun,
    ExportStatus,
)
from workengine.domain.export_signing import SIGNATURE_FILE, ManifestSigner
from workengine.domain.identity import Identity
from workengine.domain.ids import new_id
from workengine.domain.versioning import next_version
from workengine.observability import logger, metrics

Progress = Callable[[int], None]
# Tenant-level partitions that hold exported entities (bundle partitions are found through the index).
TENANT_COLLECTIONS: tuple[str, ...] = (SCHEDULES_COLLECTION, "AUDIT", DEFINITIONS_COLLECTION)


class TenantItemSource(Protocol):
    def bundle_ids(self, tenant_id: str) -> Iterator[str]: ...
    def bundle_items(self, tenant_id: str, bundle_id: str) -> Iterator[AttributeMap]: ...
    def collection_items(self, tenant_id: str, collection: str) -> Iterator[AttributeMap]: ...


class BinarySource(Protocol):
    def copy_to(self, s3_key: str, path: Path, version_id: str | None = None) -> tuple[int, str] | None: ...


class ExportSink(Protocol):
    """Where an export's files go: written to ``staging_path(name)``, then ``publish(name)``."""

    @property
    def location(self) -> str: ...
    def staging_path(self, name: str) -> Path: ...
    def publish(self, name: str) -> None: ...


class DirectorySink:
    """A local directory (``workengine export --out DIR``): files are written in place."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def location(self) -> str:
        return str(self.root)

    def staging_path(self, name: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def publish(self, name: str) -> None:
        return None


def encode_record(record: dict[str, Any]) -> bytes:
    """One JSON Lines line: sorted keys, compact, UTF-8 (deterministic, so re-exports compare equal)."""
    return (json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode()


class JsonlWriter:
    """Appends records to a file, hashing and counting the exact bytes written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] = path.open("wb")
        self._digest = hashlib.sha256()
        self.count = 0

    def write(self, record: dict[str, Any]) -> None:
        line = encode_record(record)
        self._digest.update(line)
        self._handle.write(line)
        self.count += 1

    def close(self) -> str:
        self._handle.close()
        return self._digest.hexdigest()


class TenantExporter:
    """Streams one tenant into an ExportSink. Memory holds one Query page, the open files' buffers and
    the set of template versions in use, never the tenant's records.

    Raises pydantic ValidationError when a stored item does not match its entity model, and whatever
    the source or sink raise (ServiceUnavailableError on throttling).
    """

    def __init__(
        self,
        source: TenantItemSource,
        binaries: BinarySource | None = None,
        *,
        signer: ManifestSigner | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._source = source
        self._binaries = binaries
        self._signer = signer
        self._clock = clock

    def _items(self, tenant_id: str) -> Iterator[AttributeMap]:
        for bundle_id in self._source.bundle_ids(tenant_id):
            yield from self._source.bundle_items(tenant_id, bundle_id)
        for collection in TENANT_COLLECTIONS:
            yield from self._source.collection_items(tenant_id, collection)

    def export(
        self,
        tenant_id: str,
        export_id: str,
        sink: ExportSink,
        *,
        with_binaries: bool = False,
        progress: Progress | None = None,
    ) -> ExportManifest:
        if with_binaries and self._binaries is None:
            raise ValueError("with_binaries needs a binary source")
        created_at = self._clock()
        writers = {spec.entity_type: JsonlWriter(sink.staging_path(spec.file)) for spec in ENTITY_SPECS}
        binary_index = JsonlWriter(sink.staging_path(BINARY_INDEX_FILE)) if with_binaries else None
        template_versions: dict[str, set[str]] = {}
        unknown: Counter[str] = Counter()
        total = 0
        try:
            for item in self._items(tenant_id):
                routed = record_for_item(item)
                if routed is None:
                    unknown[item.get("entity_type", {}).get("S", "(none)")] += 1
                    continue
                entity_type, record = routed
                writers[entity_type].write(record)
                if entity_type == "bundle":
                    template_versions.setdefault(record["template_id"], set()).add(record["template_version"])
                elif entity_type == "artifact" and binary_index is not None:
                    self._copy_binary(record, sink, binary_index)
                total += 1
                if progress is not None:
                    progress(total)
        finally:
            hashes = {entity_type: writer.close() for entity_type, writer in writers.items()}
            binary_hash = binary_index.close() if binary_index is not None else None

        files = []
        for spec in ENTITY_SPECS:
            sink.publish(spec.file)
            files.append(
                ExportFileEntry(
                    entity_type=spec.entity_type,
                    file=spec.file,
                    count=writers[spec.entity_type].count,
                    sha256=hashes[spec.entity_type],
                )
            )
        not_exported = [ExcludedEntity(entity_type=name, reason=why) for name, why in NOT_EXPORTED.items()]
        if binary_index is not None and binary_hash is not None:
            sink.publish(BINARY_INDEX_FILE)
            files.append(
                ExportFileEntry(
                    entity_type=BINARY_ENTITY_TYPE,
                    file=BINARY_INDEX_FILE,
                    count=binary_index.count,
                    sha256=binary_hash,
                )
            )
        else:
            not_exported.append(ExcludedEntity(entity_type=BINARY_ENTITY_TYPE, reason=BINARIES_NOT_COPIED))
        for name, count in sorted(unknown.items()):
            logger.warning("items of an unknown type were not exported", extra={"entity_type": name})
            not_exported.append(
                ExcludedEntity(
                    entity_type=name,
                    reason=f"{count} stored item(s) of a type export format {FORMAT_VERSION} does not know",
                )
            )
        manifest = ExportManifest(
            format_version=FORMAT_VERSION,
            tenant_id=tenant_id,
            export_id=export_id,
            created_at=created_at,
            template_versions={key: sorted(value) for key, value in sorted(template_versions.items())},
            files=files,
            not_exported=not_exported,
            artifact_binaries_included=with_binaries,
        )
        manifest_bytes = (manifest.model_dump_json(indent=2) + "\n").encode()
        sink.staging_path(MANIFEST_FILE).write_bytes(manifest_bytes)
        if self._signer is not None:
            # The manifest holds every file's SHA-256: signing its bytes signs the whole export.
            signature = self._signer.sign(manifest_bytes)
            sink.staging_path(SIGNATURE_FILE).write_text(signature.model_dump_json() + "\n", encoding="utf-8")
            sink.publish(SIGNATURE_FILE)
        sink.publish(MANIFEST_FILE)
        return manifest

    def _copy_binary(self, record: dict[str, Any], sink: ExportSink, index: JsonlWriter) -> None:
        assert self._binaries is not None
        name = f"{BINARIES_DIR}/{record['artifact_id']}"
        copied = self._binaries.copy_to(
            record["s3_key"], sink.staging_path(name), record.get("s3_version_id")
        )
        if copied is None:  # pending upload or deleted object: the record still says what was expected
            return
        size, digest = copied
        sink.publish(name)
        entry = BinaryEntry(
            artifact_id=record["artifact_id"],
            s3_key=record["s3_key"],
            file=name,
            size_bytes=size,
            sha256=digest,
        )
        index.write(entry.model_dump(mode="json"))


ExportDispatcher = Callable[[str, str], object]
SinkFactory = Callable[[str, str, Path], Any]
UrlSigner = Callable[[str], str]


class ExportService:
    """Export runs: ``start_export`` records a queued run and hands it to the dispatcher (an async
    Lambda invocation in AWS, a background executor locally); ``run_export`` does the work.

    Raises ForbiddenError (admins only), NotFoundError (unknown or other tenants' export IDs),
    ServiceUnavailableError when the run cannot be dispatched.
    """

    def __init__(
        self,
        runs: DynamoExportRuns,
        exporter: TenantExporter,
        sink_factory: SinkFactory,
        dispatcher: ExportDispatcher,
        url_signer: UrlSigner,
        *,
        clock: Clock = utc_now,
        id_factory: Callable[[str], str] = new_id,
    ) -> None:
        self._runs = runs
        self._exporter = exporter
        self._sink_factory = sink_factory
        self._dispatch = dispatcher
        self._sign = url_signer
        self._clock = clock
        self._new_id = id_factory

    def start_export(self, identity: Identity, *, with_binaries: bool = False) -> ExportRun:
        identity.require(Role.ADMIN)
        now = self._clock()
        run = ExportRun(
            export_id=self._new_id("x"),
            tenant_id=identity.tenant_id,
            requested_by=identity.user_id,
            with_binaries=with_binaries,
            created_at=now,
            updated_at=now,
        )
        self._runs.create(run)
        try:
            self._dispatch(run.tenant_id, run.export_id)
        except Exception as exc:
            logger.exception("export could not be dispatched", extra={"export_id": run.export_id})
            failed = run.model_copy(
                update={
                    "status": ExportStatus.FAILED,
                    "error": "the export could not be started",
                    "version": next_version(run),
                    "updated_at": self._clock(),
                }
            )
            self._runs.save(failed, run.version)
            raise ServiceUnavailableError("the export could not be started; retry later") from exc
        metrics.add_metric(name="ExportStarted", unit="Count", value=1)
        return self._runs.get(run.tenant_id, run.export_id)

    def get_export(self, identity: Identity, export_id: str) -> tuple[ExportRun, str | None]:
        """The run and, once it succeeded, a presigned URL of its manifest."""
        identity.require(Role.ADMIN)
        run = self._runs.get(identity.tenant_id, export_id)
        url = (
            self._sign(run.manifest_key)
            if run.status == ExportStatus.SUCCEEDED and run.manifest_key
            else None
        )
        return run, url

    def run_export(self, tenant_id: str, export_id: str, progress: Progress | None = None) -> ExportRun:
        """Runs a queued export to the S3 sink and records the outcome; a finished run is left as it is
        (async invocations may be delivered twice). Failures are recorded on the run, not raised."""
        run = self._runs.get(tenant_id, export_id)
        if run.status in (ExportStatus.SUCCEEDED, ExportStatus.FAILED):
            return run
        now = self._clock()
        running = run.model_copy(
            update={
                "status": ExportStatus.RUNNING,
                "started_at": now,
                "updated_at": now,
                "version": next_version(run),
            }
        )
        self._runs.save(running, run.version)
        try:
            with tempfile.TemporaryDirectory(prefix="workengine-export-") as staging:
                sink = self._sink_factory(tenant_id, export_id, Path(staging))
                manifest = self._exporter.export(
                    tenant_id, export_id, sink, with_binaries=run.with_binaries, progress=progress
                )
                manifest_key: str | None = sink.key_of(MANIFEST_FILE) if hasattr(sink, "key_of") else None
        except Exception as exc:
            logger.exception("export failed", extra={"tenant_id": tenant_id, "export_id": export_id})
            finished = running.model_copy(
                update={
                    "status": ExportStatus.FAILED,
                    "error": f"{type(exc).__name__}: {exc}"[:500],
                    "finished_at": self._clock(),
                    "updated_at": self._clock(),
                    "version": next_version(running),
                }
            )
            self._runs.save(finished, running.version)
            metrics.add_metric(name="ExportFailed", unit="Count", value=1)
            return finished
        finished = running.model_copy(
            update={
                "status": ExportStatus.SUCCEEDED,
                "counts": {entry.entity_type: entry.count for entry in manifest.files},
                "manifest_key": manifest_key,
                "finished_at": self._clock(),
                "updated_at": self._clock(),
                "version": next_version(running),
            }
        )
        self._runs.save(finished, running.version)
        metrics.add_metric(name="ExportSucceeded", unit="Count", value=1)
        return finished
