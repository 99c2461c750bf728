"""The portable export format (version 1): which entity goes to which file, how records are checked,
and how they refer to each other. Pure: no storage keys, no AWS. Documented in docs/export-format.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workengine.domain.entities import (
    Artifact,
    AssistantJob,
    AuditEvent,
    Bundle,
    Comment,
    PinnedDefinition,
    Reminder,
    Task,
)
from workengine.domain.schedules import Schedule

FORMAT_VERSION = 1
SUPPORTED_FORMAT_VERSIONS = frozenset({FORMAT_VERSION})
MANIFEST_FILE = "manifest.json"
BINARIES_DIR = "binaries"
BINARY_INDEX_FILE = "binaries.jsonl"
BINARY_ENTITY_TYPE = "artifact_binary"


@dataclass(frozen=True)
class Reference:
    """``field`` of a record holds the ID of an entity of ``target`` (``None`` allowed if optional)."""

    field: str
    target: str
    optional: bool = False


@dataclass(frozen=True)
class EntitySpec:
    entity_type: str
    file: str
    id_field: str
    model: type[BaseModel]
    references: tuple[Reference, ...] = ()
    # Records whose task_id is set must name the same bundle as that task.
    same_bundle_as_task: bool = False

    def parse(self, record: dict[str, Any]) -> BaseModel:
        """Raises pydantic ValidationError when the record does not match the entity's schema."""
        return self.model.model_validate(record)

    def canonical(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record as the entity model writes it (JSON types, documented field set)."""
        return self.parse(record).model_dump(mode="json")


_TASK_REFS = (Reference("bundle_id", "bundle"), Reference("task_id", "task", optional=True))

# File order is import order: every reference points to an entity type earlier in this tuple, except
# audit events, which come last and may point to any exported type.
ENTITY_SPECS: tuple[EntitySpec, ...] = (
    EntitySpec("template_definition", "template_definitions.jsonl", "definition_id", PinnedDefinition),
    EntitySpec("bundle", "bundles.jsonl", "bundle_id", Bundle),
    EntitySpec("task", "tasks.jsonl", "task_id", Task, (Reference("bundle_id", "bundle"),)),
    EntitySpec(
        "comment",
        "comments.jsonl",
        "comment_id",
        Comment,
        (Reference("bundle_id", "bundle"), Reference("task_id", "task")),
        same_bundle_as_task=True,
    ),
    EntitySpec("artifact", "artifacts.jsonl", "artifact_id", Artifact, _TASK_REFS, same_bundle_as_task=True),
    EntitySpec(
        "assistant_job", "assistant_jobs.jsonl", "job_id", AssistantJob, _TASK_REFS, same_bundle_as_task=True
    ),
    EntitySpec("reminder", "reminders.jsonl", "reminder_id", Reminder, _TASK_REFS, same_bundle_as_task=True),
    EntitySpec("schedule", "schedules.jsonl", "template_id", Schedule),
    EntitySpec(
        "audit_event",
        "audit_events.jsonl",
        "event_id",
        AuditEvent,
        (Reference("bundle_id", "bundle", optional=True),),
    ),
)
SPEC_BY_TYPE: dict[str, EntitySpec] = {spec.entity_type: spec for spec in ENTITY_SPECS}
SPEC_BY_FILE: dict[str, EntitySpec] = {spec.file: spec for spec in ENTITY_SPECS}

# Entity types the product stores that an export deliberately leaves out (listed in every manifest).
NOT_EXPORTED: dict[str, str] = {
    "export": "records of export runs themselves: operational metadata, recreated by running an export",
    "idempotency_record": "short-lived request de-duplication records (Idempotency-Key); they expire by TTL",
}
BINARIES_NOT_COPIED = (
    "artifact binaries are referenced by s3_key and size_bytes in artifacts.jsonl; "
    "export with --with-binaries to copy them"
)


class BinaryEntry(BaseModel):
    """One line of binaries.jsonl: an artifact's object copied into ``binaries/``."""

    model_config = ConfigDict(defer_build=True)

    artifact_id: str
    s3_key: str
    file: str
    size_bytes: int
    sha256: str


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ExportRun(BaseModel):
    """One export of a tenant (stored in the tenant's EXPORTS partition, never exported itself)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    export_id: str
    tenant_id: str
    status: ExportStatus = ExportStatus.QUEUED
    requested_by: str
    with_binaries: bool = False
    counts: dict[str, int] = Field(default_factory=dict)
    manifest_key: str | None = None
    error: str | None = None
    version: int = 1
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


def record_error_message(exc: ValidationError) -> str:
    """A one-line summary of a schema failure: ``field: message; ...``."""
    parts = []
    for error in exc.errors()[:5]:
        location = ".".join(str(part) for part in error.get("loc", ())) or "record"
        parts.append(f"{location}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def rewrite_tenant(value: Any, source_tenant: str, target_tenant: str) -> Any:
    """Replace ``tenant_id`` fields equal to ``source_tenant`` (also inside audit snapshots)."""
    if isinstance(value, dict):
        return {
            key: (
                target_tenant
                if key == "tenant_id" and item == source_tenant
                else rewrite_tenant(item, source_tenant, target_tenant)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [rewrite_tenant(item, source_tenant, target_tenant) for item in value]
    return value
