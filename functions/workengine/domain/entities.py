"""Runtime entities (the contract's field names). Storage keys never appear here."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from workengine.domain.conditions import ConditionState
from workengine.domain.enums import (
    ApprovalDecision,
    ArtifactStatus,
    BundleStatus,
    EntityType,
    JobKind,
    JobStatus,
    ProofKind,
    ReminderKind,
    ReminderStatus,
    TaskStatus,
)
from workengine.domain.fields import FieldSpec
from workengine.domain.preferences import Delivery


def utc_iso(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, second precision kept to microseconds when present."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Entity(BaseModel):
    """Pydantic serialises aware UTC datetimes as ``...Z`` in JSON mode."""

    model_config = ConfigDict(extra="ignore", defer_build=True)


class RequiredLinkState(BaseModel):
    model_config = ConfigDict(defer_build=True)
    name: str
    title: str
    url: str | None = None


class Bundle(Entity):
    bundle_id: str
    tenant_id: str
    template_id: str
    template_version: str
    title: str
    anchor_date: date
    stage: str
    status: BundleStatus = BundleStatus.ACTIVE
    references: dict[str, str] = Field(default_factory=dict)
    required_links: list[RequiredLinkState] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    assignees: dict[str, str] = Field(default_factory=dict)
    inputs: dict[str, Any] = Field(
        default_factory=dict, description="Kick-off values by input key (the template's defaults filled in)."
    )
    conditions_due_at: datetime | None = Field(
        default=None, description="Next daily check of conditions reading days_to_anchor (none: no such)."
    )
    owner: str
    created_by: str
    version: int = 1
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None


class Proof(BaseModel):
    model_config = ConfigDict(defer_build=True)
    url: str | None = None
    artifact_ids: list[str] = Field(default_factory=list)
    comment: str | None = None
    external_status: str | None = None

    def missing(self, required: list[ProofKind], *, approved: bool = False) -> list[ProofKind]:
        """``approved``: whether the task's approval gate is met (approvals live on the task)."""
        present = {
            ProofKind.URL: bool(self.url),
            ProofKind.ARTIFACT: bool(self.artifact_ids),
            ProofKind.COMMENT: bool(self.comment and self.comment.strip()),
            ProofKind.EXTERNAL_STATUS: bool(self.external_status),
            ProofKind.APPROVAL: approved,
        }
        return [kind for kind in required if not present[kind]]


class ApprovalGate(BaseModel):
    """A task's approval rule, copied from its definition at instantiation. ``approvers`` holds role
    names and ``user:<id>`` entries; ``on_reject`` is the task_id of the rework task."""

    model_config = ConfigDict(defer_build=True)

    approvers: list[str]
    required: int = 1
    allow_self: bool = False
    on_reject: str | None = None


class Approval(Entity):
    """One approver's decision on a task. ``round`` counts rework cycles: a rejection that sends work
    back (``on_reject``) starts a new round, and only the current round's approvals count."""

    approval_id: str
    tenant_id: str
    bundle_id: str
    task_id: str
    approver: str
    decision: ApprovalDecision
    comment: str | None = None
    at: datetime
    round: int = 1


class Escalation(BaseModel):
    """``level`` is set on automatic escalations (once per task and level); manual ones carry None."""

    model_config = ConfigDict(defer_build=True)

    to: str
    by: str
    reason: str
    at: datetime
    level: int | None = None


class Task(Entity):
    task_id: str
    bundle_id: str
    tenant_id: str
    template_id: str
    template_task_ref: str
    position: int = 0
    title: str
    description: str | None = None
    phase: str
    assignee: str | None = None
    due_date: date | None = None
    offset_from: str | None = Field(default=None, description="task_id whose completion anchors due_date")
    offset_days: int = 0
    business_days: bool = False
    remind_before_days: int = 1
    status: TaskStatus = TaskStatus.TODO
    waiting_for: str | None = None
    follow_up_at: datetime | None = None
    proof_required: list[ProofKind] = Field(default_factory=list)
    proof: Proof = Field(default_factory=Proof)
    instruction_doc_id: str | None = None
    instruction_step_id: str | None = None
    systems: list[str] = Field(default_factory=list)
    validation: str | None = None
    instructions_url: str | None = None
    depends_on: list[str] = Field(default_factory=list)
    has_assistant: bool = False
    approval: ApprovalGate | None = None
    approvals: list[Approval] = Field(default_factory=list)
    approval_round: int = 1
    snoozed_until: datetime | None = None
    escalations: list[Escalation] = Field(default_factory=list)
    escalate_after_days: int | None = None
    escalate_to: str | None = None
    field_specs: list[FieldSpec] = Field(
        default_factory=list, description="What the assignee records (copied from the task definition)."
    )
    fields: dict[str, Any] = Field(default_factory=dict, description="Recorded field values by key.")
    condition: ConditionState | None = Field(
        default=None, description="State of the definition's `when` condition; null when it has none."
    )
    completed_at: datetime | None = None
    completed_by: str | None = None
    skip_reason: str | None = Field(default=None, description="Why the task was skipped (set with skipped).")
    comments_count: int = 0
    tags: list[str] = Field(default_factory=list)
    version: int = 1
    created_at: datetime
    updated_at: datetime

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def current_approvals(self) -> list[Approval]:
        return [a for a in self.approvals if a.round == self.approval_round]

    @property
    def approved(self) -> bool:
        """The approval gate is met: ``required`` approve decisions in the current round."""
        if self.approval is None:
            return False
        approves = [a for a in self.current_approvals() if a.decision is ApprovalDecision.APPROVE]
        return len(approves) >= self.approval.required

    def missing_proof(self) -> list[ProofKind]:
        return self.proof.missing(self.proof_required, approved=self.approved)


class PinnedDefinition(Entity):
    """A template definition exactly as a bundle was created from it, stored once per tenant and
    ``(template_id, template_version)``; immutable (the version carries the content hash)."""

    tenant_id: str
    template_id: str
    template_version: str
    content_hash: str
    definition: dict[str, Any]
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def definition_id(self) -> str:
        return definition_id(self.template_id, self.template_version)


def definition_id(template_id: str, template_version: str) -> str:
    """The stable ID of a pinned definition (used by exports): ``<template_id>@<template_version>``."""
    return f"{template_id}@{template_version}"


class Comment(Entity):
    comment_id: str
    tenant_id: str
    bundle_id: str
    task_id: str
    text: str
    author: str
    created_at: datetime


class Reminder(Entity):
    reminder_id: str
    tenant_id: str
    bundle_id: str
    task_id: str | None = None
    kind: ReminderKind
    fire_at: datetime
    recipient: str
    status: ReminderStatus = ReminderStatus.PENDING
    message: str = ""
    details: dict[str, Any] = Field(default_factory=dict)
    deliveries: list[Delivery] = Field(
        default_factory=list, description="Every attempt to reach the recipient (email), oldest first."
    )
    version: int = 1
    created_at: datetime
    updated_at: datetime | None = None


class Artifact(Entity):
    artifact_id: str
    tenant_id: str
    bundle_id: str
    task_id: str | None = None
    filename: str
    content_type: str
    size_bytes: int
    s3_key: str
    status: ArtifactStatus = ArtifactStatus.PENDING
    rejection_reason: str | None = None
    created_by: str
    created_at: datetime
    uploaded_at: datetime | None = None
    # Pinned at acceptance: downloads, exports and copies read this S3 version, whose SHA-256 (hex) is
    # recorded here and in the audit event of any task that uses the artifact as proof. A client may
    # declare the SHA-256 at creation: the upload URL then signs it and takes no other bytes.
    s3_version_id: str | None = None
    sha256: str | None = None
    # Writes to the key after acceptance: recorded (audit event ``overwrite_ignored``), never served.
    overwrites_ignored: int = 0
    last_overwrite_version_id: str | None = None
    version: int = 1


class AssistantJob(Entity):
    job_id: str
    tenant_id: str
    bundle_id: str
    task_id: str | None = None
    template_task_ref: str | None = None
    kind: JobKind
    status: JobStatus = JobStatus.QUEUED
    input: dict[str, Any] = Field(default_factory=dict)
    prompt: str | None = None
    output: dict[str, Any] | None = None
    error: str | None = None
    attempts: int = 0
    created_by: str
    version: int = 1
    created_at: datetime
    updated_at: datetime


class ArtifactEvidence(BaseModel):
    """What an artifact taken as proof was at that moment: its pinned S3 version and SHA-256."""

    model_config = ConfigDict(defer_build=True)

    artifact_id: str
    s3_version_id: str | None = None
    sha256: str | None = None


class AuditEvent(Entity):
    event_id: str
    tenant_id: str
    entity_type: EntityType
    entity_id: str
    bundle_id: str | None = None
    action: str
    actor: str
    at: datetime
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    # Tamper evidence: the pinned S3 version and SHA-256 of each artifact a task change took as proof.
    evidence: list[ArtifactEvidence] | None = None


class ExportFileEntry(BaseModel):
    model_config = ConfigDict(defer_build=True)
    entity_type: str
    file: str
    count: int
    sha256: str


class ExcludedEntity(BaseModel):
    model_config = ConfigDict(defer_build=True)
    entity_type: str
    reason: str


class ExportManifest(BaseModel):
    model_config = ConfigDict(defer_build=True)
    format_version: int = 1
    tenant_id: str
    export_id: str
    created_at: datetime
    template_versions: dict[str, list[str]] = Field(default_factory=dict)
    files: list[ExportFileEntry] = Field(default_factory=list)
    not_exported: list[ExcludedEntity] = Field(default_factory=list)
    artifact_binaries_included: bool = False


def today_utc(now: datetime) -> date:
    return now.astimezone(UTC).date()
