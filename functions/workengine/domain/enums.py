"""Enumerations of the contract (values are part of the public API)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    MEMBER = "member"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return {"viewer": 0, "member": 1, "admin": 2}[self.value]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


class BundleStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    ARCHIVED = "archived"


class TaskStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    DONE = "done"
    SKIPPED = "skipped"

    @property
    def is_open(self) -> bool:
        return self in OPEN_TASK_STATUSES

    @property
    def is_closed(self) -> bool:
        return not self.is_open


OPEN_TASK_STATUSES = frozenset({TaskStatus.TODO, TaskStatus.IN_PROGRESS, TaskStatus.WAITING})


class ProofKind(StrEnum):
    URL = "url"
    ARTIFACT = "artifact"
    COMMENT = "comment"
    EXTERNAL_STATUS = "external_status"
    APPROVAL = "approval"


class ReminderKind(StrEnum):
    DUE = "due"
    OVERDUE = "overdue"
    FOLLOW_UP = "follow_up"
    MISSING_EVIDENCE = "missing_evidence"
    RECURRING = "recurring"
    STAGE_CHANGE = "stage_change"
    AUTOMATION_FAILURE = "automation_failure"
    APPROVAL_REQUESTED = "approval_requested"
    REWORK = "rework"
    ESCALATION = "escalation"
    SNOOZE_ENDED = "snooze_ended"


class ApprovalDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class ReminderStatus(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    PUBLISH_FAILED = "publish_failed"
    ACKNOWLEDGED = "acknowledged"


class ArtifactStatus(StrEnum):
    PENDING = "pending"
    UPLOADED = "uploaded"
    REJECTED = "rejected"
    EXPIRED = "expired"  # never uploaded: the sweep gave up after the upload URL's lifetime + a margin


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobKind(StrEnum):
    """``task_step`` runs the assistant step of a task's definition; the others are ad-hoc jobs."""

    TASK_STEP = "task_step"
    SUMMARIZE_BUNDLE = "summarize_bundle"


class EntityType(StrEnum):
    BUNDLE = "bundle"
    TASK = "task"
    COMMENT = "comment"
    REMINDER = "reminder"
    ARTIFACT = "artifact"
    ASSISTANT_JOB = "assistant_job"
    AUDIT_EVENT = "audit_event"
    SCHEDULE = "schedule"
    EXPORT = "export"
    TEMPLATE_DEFINITION = "template_definition"
