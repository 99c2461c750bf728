"""DynamoDB stream records of bundles and tasks, decoded into the entities before and after the change.

Every other item (reminders, audit events, statistics...) decodes to None: the aggregator ignores it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from workengine.dal import table as t
from workengine.dal.codec import AttributeMap, item_to_entity
from workengine.domain.entities import Bundle, Task
from workengine.domain.enums import EntityType

E = TypeVar("E", Bundle, Task)


class MalformedStreamRecord(ValueError):
    """The record carries no item key or images of the kind a NEW_AND_OLD_IMAGES stream sends."""


@dataclass(frozen=True)
class EntityChange(Generic[E]):
    """One change of one item: ``before`` is None for an insert, ``after`` None for a removal.

    ``change_id`` names the change by the item's sort key and its version (and, on a bundle, its tasks
    revision) before and after: the same change delivered twice has the same ID, two changes never do.
    """

    tenant_id: str
    bundle_id: str
    change_id: str
    before: E | None
    after: E | None


def _version(image: AttributeMap | None) -> str:
    if image is None:
        return "-"
    version = image.get("version", {}).get("N", "0")
    revision = image.get(t.TASKS_REVISION, {}).get("N", "0")
    return f"{version}.{revision}"


def _kind(old: AttributeMap | None, new: AttributeMap | None) -> str | None:
    for image in (new, old):
        if image is not None:
            kind = image.get("entity_type", {}).get("S")
            return str(kind) if kind else None
    return None


def entity_change(record: Mapping[str, Any]) -> EntityChange[Bundle] | EntityChange[Task] | None:
    """The change a stream record (the Lambda event's shape) describes, or None for items other than
    bundles and tasks. Raises MalformedStreamRecord when the record lacks its key or images."""
    data = record.get("dynamodb")
    if not isinstance(data, Mapping) or not isinstance(data.get("Keys"), Mapping):
        raise MalformedStreamRecord("the record has no dynamodb.Keys")
    old, new = data.get("OldImage"), data.get("NewImage")
    if old is None and new is None:
        raise MalformedStreamRecord("the record has neither image (the stream must send NEW_AND_OLD_IMAGES)")
    kind = _kind(old, new)
    if kind not in (EntityType.BUNDLE, EntityType.TASK):
        return None
    sk = str(data["Keys"].get(t.SK, {}).get("S", ""))
    change_id = f"{sk}#{_version(old)}>{_version(new)}"
    if kind == EntityType.BUNDLE:
        before_b = item_to_entity(old, Bundle) if old else None
        after_b = item_to_entity(new, Bundle) if new else None
        bundle = after_b or before_b
        assert bundle is not None
        return EntityChange(bundle.tenant_id, bundle.bundle_id, change_id, before_b, after_b)
    before_t = item_to_entity(old, Task) if old else None
    after_t = item_to_entity(new, Task) if new else None
    task = after_t or before_t
    assert task is not None
    return EntityChange(task.tenant_id, task.bundle_id, change_id, before_t, after_t)
