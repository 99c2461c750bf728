"""Storage layout of each entity: its primary key and index keys (the DynamoDB item "model")."""

from __future__ import annotations

from pydantic import BaseModel

from workengine.dal import due_index
from workengine.dal import table as t
from workengine.dal.codec import AttributeMap, deserialize, entity_to_item
from workengine.domain.entities import AuditEvent, Bundle, Comment, PinnedDefinition, Reminder, Task
from workengine.domain.enums import BundleStatus, EntityType, ReminderStatus
from workengine.domain.reminder_rules import index_time
from workengine.domain.schedules import Schedule


def bundle_keys(bundle: Bundle) -> dict[str, str | None]:
    created = bundle.created_at.isoformat()
    list_sk = t.bundle_list_sk(bundle.status.value, created, bundle.bundle_id)
    keys: dict[str, str | None] = {
        t.PK: t.bundle_pk(bundle.tenant_id, bundle.bundle_id),
        t.SK: t.BUNDLE_SK,
        "gsi_bundles_pk": t.bundles_pk(bundle.tenant_id),
        "gsi_bundles_sk": list_sk,
        "gsi_template_pk": t.template_pk(bundle.tenant_id, bundle.template_id),
        "gsi_template_sk": list_sk,
    }
    if bundle.status is BundleStatus.ACTIVE and bundle.conditions_due_at is not None:
        keys.update(due_index.condition_keys(bundle.tenant_id, bundle.bundle_id, bundle.conditions_due_at))
    return keys


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
    keys.update(escalation_index_keys(task))
    return keys


def escalation_index_keys(task: Task) -> dict[str, str | None]:
    """An open task sits in its latest escalation target's partition of the bundles index (newest
    escalation last); closed or never escalated tasks are not in it."""
    if not task.escalations or not task.status.is_open:
        return {"gsi_bundles_pk": None, "gsi_bundles_sk": None}
    latest = task.escalations[-1]
    return {
        "gsi_bundles_pk": t.escalated_pk(task.tenant_id, latest.to),
        "gsi_bundles_sk": t.escalated_sk(due_index.sort_time(latest.at), task.task_id),
    }


def reminder_index_keys(task: Task) -> dict[str, str | None]:
    """Keys of the sparse sweep index; tasks that leave the open states drop out of it.

    ``None`` values are left out of the item (see ``dal/due_index.py`` for the layout).
    """
    at = index_time(task)
    if at is None:
        return {due_index.DUE_PK: None, due_index.DUE_SK: None}
    return due_index.task_due_keys(task.tenant_id, task.task_id, at)


def reminder_item(reminder: Reminder) -> AttributeMap:
    """The stored reminder: in its bundle's partition (``R#<id>``), findable by ID, listed per tenant by
    fire time, and in the publish queue of the due index while not yet published. Public: any module
    that creates reminders (e.g. ``automation_failure``) builds the item here and puts it with
    ``WriteTransaction.put_new`` or ``DynamoReminderRepository.put_new_reminder``."""
    keys: dict[str, str | None] = {
        t.PK: t.bundle_pk(reminder.tenant_id, reminder.bundle_id),
        t.SK: f"{t.REMINDER_SK_PREFIX}{reminder.reminder_id}",
        "gsi_entity_pk": t.entity_pk(reminder.tenant_id, reminder.reminder_id),
        "gsi_template_pk": due_index.reminders_list_pk(reminder.tenant_id),
        "gsi_template_sk": due_index.reminders_list_sk(reminder.fire_at, reminder.reminder_id),
    }
    if reminder.status in (ReminderStatus.PENDING, ReminderStatus.PUBLISH_FAILED):
        keys.update(due_index.publish_keys(reminder.tenant_id, reminder.reminder_id, reminder.created_at))
    return entity_to_item(reminder, EntityType.REMINDER, keys)


def schedule_item(schedule: Schedule | BaseModel) -> AttributeMap:
    """A tenant's schedule (``S#<template_id>``), in the due index while enabled. Accepts any model
    with the schedule's fields (e.g. an imported record) and validates it as a ``Schedule``."""
    if not isinstance(schedule, Schedule):
        schedule = Schedule.model_validate(schedule.model_dump())
    keys: dict[str, str | None] = {
        t.PK: t.tenant_pk(schedule.tenant_id, t.SCHEDULES_COLLECTION),
        t.SK: f"S#{schedule.template_id}",
    }
    if schedule.enabled and schedule.next_occurrence is not None:
        keys.update(
            due_index.schedule_keys(schedule.tenant_id, schedule.template_id, schedule.next_occurrence)
        )
    return entity_to_item(schedule, EntityType.SCHEDULE, keys)


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


DEFINITION_CONTENT_ATTRIBUTE = "content_hash"


def definition_keys(tenant_id: str, template_id: str, template_version: str) -> dict[str, str | None]:
    return {
        t.PK: t.tenant_pk(tenant_id, t.DEFINITIONS_COLLECTION),
        t.SK: t.definition_sk(template_id, template_version),
    }


def definition_item(definition: PinnedDefinition) -> AttributeMap:
    """A pinned definition lives in its tenant's ``DEFINITIONS`` partition (exported with the tenant)."""
    keys = definition_keys(definition.tenant_id, definition.template_id, definition.template_version)
    return entity_to_item(definition, EntityType.TEMPLATE_DEFINITION, keys)
