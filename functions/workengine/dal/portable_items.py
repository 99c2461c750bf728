"""Rebuilds stored items (with their storage keys) from portable export records, using the same key
builders the runtime writes with, so imported data is indistinguishable from data created through
the API. This is the one place that maps an exported entity type to its item builder.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from workengine.dal import items
from workengine.dal.artifact_repository import artifact_item
from workengine.dal.codec import AttributeMap, item_to_entity
from workengine.dal.job_repository import job_item
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
from workengine.domain.export_format import SPEC_BY_TYPE
from workengine.domain.schedules import Schedule

ITEM_BUILDERS: dict[str, tuple[type[BaseModel], Callable[[Any], AttributeMap]]] = {
    "template_definition": (PinnedDefinition, items.definition_item),
    "bundle": (Bundle, items.bundle_item),
    "task": (Task, items.task_item),
    "comment": (Comment, items.comment_item),
    "audit_event": (AuditEvent, items.audit_event_item),
    "artifact": (Artifact, artifact_item),
    "assistant_job": (AssistantJob, job_item),
    "reminder": (Reminder, items.reminder_item),
    "schedule": (Schedule, items.schedule_item),
}
assert set(ITEM_BUILDERS) == set(SPEC_BY_TYPE), "every exported entity type needs an item builder"


def _audit_event_from_item(item: AttributeMap) -> BaseModel:
    return items.audit_event_from_item(item)


# Decoders for items whose stored layout differs from the entity's fields (others: the generic codec).
ITEM_DECODERS: dict[str, Callable[[AttributeMap], BaseModel]] = {"audit_event": _audit_event_from_item}


def record_for_item(item: AttributeMap) -> tuple[str, dict[str, Any]] | None:
    """``(entity_type, portable record)`` of a stored item: storage keys gone, fields as the entity
    model writes them. ``None`` when the item's ``entity_type`` is not part of the export format.
    Raises pydantic ValidationError when a stored item does not match its entity model."""
    entity_type = item.get("entity_type", {}).get("S")
    if entity_type not in ITEM_BUILDERS:
        return None
    decode = ITEM_DECODERS.get(entity_type)
    if decode is not None:
        return entity_type, decode(item).model_dump(mode="json")
    model, _ = ITEM_BUILDERS[entity_type]
    return entity_type, item_to_entity(item, model).model_dump(mode="json")


def item_for_record(entity_type: str, record: dict[str, Any]) -> AttributeMap:
    """The stored item for a portable record. Raises KeyError for an unknown entity type and pydantic
    ValidationError for a record that does not match its model."""
    model, build = ITEM_BUILDERS[entity_type]
    return build(model.model_validate(record))
