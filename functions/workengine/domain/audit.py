"""Append-only audit events: one per change, with the fields that changed before and after."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from workengine.domain.entities import AuditEvent
from workengine.domain.enums import EntityType

_IGNORED = frozenset({"updated_at"})


def changed_fields(before: BaseModel, after: BaseModel) -> tuple[dict[str, Any], dict[str, Any]]:
    old = before.model_dump(mode="json")
    new = after.model_dump(mode="json")
    keys = [k for k in new if k not in _IGNORED and old.get(k) != new.get(k)]
    return {k: old.get(k) for k in keys}, {k: new[k] for k in keys}


def audit_event(
    *,
    entity_type: EntityType,
    entity_id: str,
    action: str,
    actor: str,
    at: datetime,
    new_id: Callable[[str], str],
    before: BaseModel | None = None,
    after: BaseModel | None = None,
) -> AuditEvent:
    """``before``/``after`` hold only the changed fields for updates, the whole entity for creations.

    The event's tenant and bundle are the subject's own (``after``, else ``before``), never restated.
    """
    subject = after if after is not None else before
    if subject is None:
        raise ValueError("an audit event needs the entity before or after the change")
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    if before is not None and after is not None:
        old, new = changed_fields(before, after)
    else:
        old = before.model_dump(mode="json") if before is not None else None
        new = after.model_dump(mode="json") if after is not None else None
    return AuditEvent(
        event_id=new_id("ev"),
        tenant_id=str(getattr(subject, "tenant_id")),  # noqa: B009 - every audited entity has one
        entity_type=entity_type,
        entity_id=entity_id,
        bundle_id=getattr(subject, "bundle_id", None),
        action=action,
        actor=actor,
        at=at,
        before=old,
        after=new,
    )
