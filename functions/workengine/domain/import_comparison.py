"""What an import compares: a record's business content, not what the engine itself keeps up to date.

Rerunning an import of the same export must be a no-op whatever happened to the stored items'
bookkeeping since: index keys the sweep moved are already gone from portable records; this module also
sets aside the fields the engine's own machinery changes without anyone changing the business record
(a reminder's delivery, a schedule's progress through its occurrences).
"""

from __future__ import annotations

from typing import Any

# Reminder statuses the publisher moves between by itself; "acknowledged" is a person's act.
_DELIVERY_STATUSES = frozenset({"pending", "publish_failed", "published"})
_DELIVERY_FIELDS = ("status", "version", "updated_at")
# Email delivery attempts the notifier appends, whatever the reminder's status.
_NOTIFIER_FIELDS = ("deliveries",)
# A schedule's run state, advanced by the sweep at each occurrence.
_SCHEDULE_RUN_FIELDS = (
    "next_occurrence",
    "last_occurrence",
    "last_bundle_id",
    "skipped_occurrences",
    "version",
    "updated_at",
)

# An artifact imported into another tenant gets the S3 version its binary was placed as; placing it again
# on a rerun makes a new version of the same bytes (the SHA-256 is compared and must match).
_ARTIFACT_PLACEMENT_FIELDS = ("s3_version_id",)


def business_content(entity_type: str, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` without the engine-maintained fields of its entity type (compare two of these)."""
    if entity_type == "reminder":
        engine: tuple[str, ...] = _NOTIFIER_FIELDS
        if record.get("status") in _DELIVERY_STATUSES:
            engine += _DELIVERY_FIELDS
        return {k: v for k, v in record.items() if k not in engine}
    if entity_type == "schedule":
        return {k: v for k, v in record.items() if k not in _SCHEDULE_RUN_FIELDS}
    if entity_type == "artifact":
        return {k: v for k, v in record.items() if k not in _ARTIFACT_PLACEMENT_FIELDS}
    return record


def same_business_content(entity_type: str, imported: dict[str, Any], stored: dict[str, Any]) -> bool:
    return business_content(entity_type, imported) == business_content(entity_type, stored)


def version_note(record: dict[str, Any]) -> str:
    """``version 3, updated_at 2026-12-01T09:00:00Z`` (what a conflict report shows of each side)."""
    return f"version {record.get('version', '-')}, updated_at {record.get('updated_at') or '-'}"
