"""Event-triggered bundles (pure): which templates an event starts, the bundle ID each gets, and the
kick-off an event's detail maps to.

The once-only key is the event ID: a template's bundle for an event has an ID derived from the tenant, the
event ID and the template ID (a name-based UUID, RFC 4122 version 5), and it is written only if absent, so
redelivery, replays and the two doors (the bus and ``POST /events``) racing each other find the bundle
already there instead of creating a second one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from workengine.domain.bounds import DATE_MAX, DATE_MIN, KEY_VALUE_PATTERN
from workengine.domain.bus_events import EVENT_ID_DETAIL_FIELD, TENANT_DETAIL_FIELD, TriggeringEvent
from workengine.domain.errors import ValidationFailedError
from workengine.domain.instantiation import NewBundleRequest
from workengine.domain.rendering import MissingVariableError, render_strict
from workengine.domain.template import EventTrigger, WorkflowTemplate

# What the engine itself puts on its bus: the trigger rule leaves this source out, and a template may not
# be triggered by these detail types (the rule would never deliver them).
ENGINE_EVENT_SOURCE = "workengine"
ENGINE_DETAIL_TYPES = frozenset({"ReminderCreated"})
# Who creates a bundle for an event that arrived on the bus (HTTP: the caller).
EVENTS_ACTOR = "system:events"
# Detail keys with a fixed meaning: a template's trigger may not map them to anchor, inputs or assignees.
RESERVED_DETAIL_FIELDS = frozenset({TENANT_DETAIL_FIELD, EVENT_ID_DETAIL_FIELD})
# Bundle IDs of triggered bundles: "b_evt_" + 32 hex digits (fits the 64-character entity ID bound).
TRIGGERED_BUNDLE_PREFIX = "b_evt_"
_NAMESPACE = uuid.UUID("6f1d0e55-7c1a-4f0b-9a63-1b2c3d4e5f60")


@dataclass(frozen=True)
class Kickoff:
    """What an event does for one matching template: create ``request`` (whose ``bundle_id`` is the
    derived one), or, when the detail does not fit the template, record ``problem``."""

    template: WorkflowTemplate
    bundle_id: str
    request: NewBundleRequest | None
    problem: ValidationFailedError | None


def triggered_bundle_id(tenant_id: str, event_id: str, template_id: str) -> str:
    """The same tenant, event and template always give the same bundle ID."""
    name = "\n".join((tenant_id, event_id, template_id))
    return f"{TRIGGERED_BUNDLE_PREFIX}{uuid.uuid5(_NAMESPACE, name).hex}"


def declared_detail_types(templates: Iterable[WorkflowTemplate]) -> list[str]:
    """Every detail type some template's event trigger names, sorted (the trigger rule matches these)."""
    return sorted({trigger.detail_type for template in templates for trigger in template.event_triggers()})


def triggered_templates(
    templates: Iterable[WorkflowTemplate], detail_type: str
) -> list[tuple[WorkflowTemplate, EventTrigger]]:
    """The templates an event of ``detail_type`` starts, by template ID."""
    matches = [(template, template.event_trigger(detail_type)) for template in templates]
    return sorted(
        ((template, trigger) for template, trigger in matches if trigger is not None),
        key=lambda match: match[0].template_id,
    )


def _invalid(field: str, message: str, **details: Any) -> ValidationFailedError:
    return ValidationFailedError(f"{field} {message}", {"field": field, **details})


def _anchor_date(trigger: EventTrigger, detail: Mapping[str, Any]) -> date:
    field = f"detail.{trigger.anchor_field}"
    value = detail.get(trigger.anchor_field)
    if value is None:
        raise _invalid(field, "is required (the anchor date, YYYY-MM-DD)")
    # An ISO calendar date and nothing else: no timestamps, week dates or numbers.
    if not isinstance(value, str) or len(value) != 10:
        raise _invalid(field, "must be a date in the form YYYY-MM-DD")
    try:
        anchor = date.fromisoformat(value)
    except ValueError as exc:
        raise _invalid(field, "must be a date in the form YYYY-MM-DD") from exc
    if not DATE_MIN <= anchor <= DATE_MAX:
        raise _invalid(field, f"must lie between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}")
    return anchor


def _object(detail: Mapping[str, Any], name: str | None) -> dict[str, Any]:
    if name is None:
        return {}
    value = detail.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _invalid(f"detail.{name}", "must be a JSON object")
    return dict(value)


def _inputs(template: WorkflowTemplate, trigger: EventTrigger, detail: Mapping[str, Any]) -> dict[str, Any]:
    from workengine.domain.fields import resolve_inputs

    given = _object(detail, trigger.inputs_field)
    try:
        return resolve_inputs(template.inputs, given)
    except ValidationFailedError as exc:
        # resolve_inputs names ``inputs.<key>``; the event's sender knows the key as part of its detail.
        where = str(exc.details.get("field", "inputs"))
        field = where.replace("inputs", f"detail.{trigger.inputs_field or 'inputs'}", 1)
        message = exc.message.replace(where, field, 1)
        raise ValidationFailedError(message, {**exc.details, "field": field}) from exc


def _assignees(
    template: WorkflowTemplate, trigger: EventTrigger, detail: Mapping[str, Any]
) -> dict[str, str]:
    assignees = _object(detail, trigger.assignees_field)
    field = f"detail.{trigger.assignees_field}"
    for role, user in assignees.items():
        if not isinstance(user, str) or re.fullmatch(KEY_VALUE_PATTERN, user) is None:
            raise _invalid(f"{field}.{role}", "must be a user ID")
    template.check_assignee_roles(assignees, field)
    return {role: str(user) for role, user in assignees.items()}


def kickoff(
    template: WorkflowTemplate, trigger: EventTrigger, event: TriggeringEvent, today: date
) -> NewBundleRequest:
    """The bundle ``event`` starts from ``template``. Raises ValidationFailedError naming the detail field
    (``detail.<anchor_field>``, ``detail.<inputs_field>.<key>``, ``detail.<assignees_field>``) that does
    not fit, or the title pattern that cannot be filled."""
    anchor = _anchor_date(trigger, event.detail)
    inputs = _inputs(template, trigger, event.detail)
    assignees = _assignees(template, trigger, event.detail)
    context: dict[str, Any] = {
        "anchor_date": anchor,
        "occurrence_date": today,
        "template": template.model_dump(mode="json"),
        "inputs": inputs,
    }
    try:
        title = render_strict(trigger.title_pattern, context)
    except MissingVariableError as exc:
        raise _invalid(
            "title_pattern", f"of template {template.template_id!r} cannot be filled: {exc}"
        ) from exc
    return NewBundleRequest(
        template_id=template.template_id,
        title=title[:300],
        anchor_date=anchor,
        assignees=assignees,
        inputs=inputs,
        bundle_id=triggered_bundle_id(event.tenant_id, event.event_id, template.template_id),
    )


def plan_kickoffs(
    templates: Iterable[WorkflowTemplate], event: TriggeringEvent, today: date
) -> list[Kickoff]:
    """One kickoff per template ``event`` triggers, each either a request or the problem with the detail."""
    plans: list[Kickoff] = []
    for template, trigger in triggered_templates(templates, event.detail_type):
        bundle_id = triggered_bundle_id(event.tenant_id, event.event_id, template.template_id)
        try:
            plans.append(Kickoff(template, bundle_id, kickoff(template, trigger, event, today), None))
        except ValidationFailedError as exc:
            plans.append(Kickoff(template, bundle_id, None, exc))
    return plans


def trigger_rule_pattern(detail_types: Iterable[str]) -> dict[str, Any]:
    """The EventBridge pattern of the trigger rule (the CDK stack and the local server use it): the
    declared detail types, from any source but the engine's own."""
    return {
        "detail-type": sorted(set(detail_types)),
        "source": [{"anything-but": [ENGINE_EVENT_SOURCE]}],
    }
