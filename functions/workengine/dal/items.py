"""Storage layout of each entity: its primary key and index keys (the DynamoDB item "model")."""

from __future__ import annotations

from workengine.dal import table as t
from workengine.dal.codec import AttributeMap, deserialize, entity_to_item
from workengine.domain.entities import AuditEvent, Bundle, Comment, Task
from workengine.domain.enums import EntityType


def bundle_keys(bundle: Bundle) -> dict[str, str | None]:
    created = bundle.created_at.isoformat()
    list_sk = t.bundle_list_sk(bundle.status.value, created, bundle.bundle_id)
    return {
        t.PK: t.bundle_pk(bundle.tenant_id, bundle.bundle_id),
        t.SK: t.BUNDLE_SK,
        "gsi_bundles_pk": t.bundles_pk(bundle.tenant_id),
        "gsi_bundles_sk": list_sk,
        "gsi_template_pk": t.template_pk(bundle.tenant_id, bundle.template_id),
        "gsi_template_sk": list_sk,
    }


def bundle_item(bundle: Bundle) -> AttributeMap:
    return entity_to_item(bundle, EntityType.BUNDLE, bundle_keys(bundle))


def task_keys(task: Task) -> dict[str, str | None]:
    due = task.due_date.isoformat() if task.due_date else None
    keys: dict[str, str | None] = {
        t.PK: t.bundle_pk(task.tenant_id, task.bundle_id),
        t.SK: t.task_sk(task.task_id),
        "gsi_entity_pk": t.entity_pk(task.tenant_id, task.task_id),
        "gsi_assignee_pk": t.assignee_pk(task.tenant_id, task.assignee) if task.assignee else None,
        "gsi_assignee_sk": t.assignee_sk(task.status.value, due, task.task_id) if task.assignee else None,
    }
    keys.update(reminder_index_keys(task))
    return keys


def reminder_index_keys(task: Task) -> dict[str, str | None]:
    """Keys of the sparse sweep index; tasks that leave the open states drop out of it.

    Filled in by the reminders module; ``None`` values are left out of the item.
    """
    return {"gsi_due_pk": None, "gsi_due_sk": None}


def task_item(task: Task) -> AttributeMap:
    return entity_to_item(task, EntityType.TASK, task_keys(task))


def comment_item(comment: Comment) -> AttributeMap:
    keys: dict[str, str | None] = {
        t.PK: t.bundle_pk(comment.tenant_id, comment.bundle_id),
        t.SK: f"{t.COMMENT_SK_PREFIX}{comment.task_id}#{comment.comment_id}",
    }
    return entity_to_item(comment, EntityType.COMMENT, keys)


AUDIT_SUBJECT_ATTRIBUTE = "subject_entity_type"


def audit_event_item(event: AuditEvent) -> AttributeMap:
    """The event's own ``entity_type`` (its subject) is stored as ``subject_entity_type``: the item's
    ``entity_type`` attribute names what the item is, like on every other item."""
    pk = (
        t.bundle_pk(event.tenant_id, event.bundle_id)
        if event.bundle_id
        else t.tenant_pk(event.tenant_id, "AUDIT")
    )
    keys: dict[str, str | None] = {
        t.PK: pk,
        t.SK: f"{t.EVENT_SK_PREFIX}{event.event_id}",
        AUDIT_SUBJECT_ATTRIBUTE: event.entity_type.value,
    }
    return entity_to_item(event, EntityType.AUDIT_EVENT, keys)


def audit_event_from_item(item: AttributeMap) -> AuditEvent:
    data = deserialize(item)
    data["entity_type"] = data.pop(AUDIT_SUBJECT_ATTRIBUTE)
    return AuditEvent.model_validate({k: v for k, v in data.items() if k not in t.KEY_ATTRIBUTES})
