"""An event as it arrives from the bus (pure): the tenant, the once-only key and the detail an
EventBridge envelope carries, or why it cannot be taken.

Apart from ``domain.event_triggers`` (which templates an event starts, and how) so the trigger
function's module imports only this at cold start; the templates and bundle models load with the
service on its first record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workengine.domain.errors import ValidationFailedError
from workengine.domain.value_rules import KEY_VALUE_MAX_LENGTH, KEY_VALUE_PATTERN, json_problems

# Detail keys with a fixed meaning: the tenant the event belongs to, and the sender's once-only key.
TENANT_DETAIL_FIELD = "tenant_id"
EVENT_ID_DETAIL_FIELD = "event_id"


@dataclass(frozen=True)
class TriggeringEvent:
    """One event for one tenant: ``event_id`` is its once-only key."""

    tenant_id: str
    event_id: str
    detail_type: str
    detail: Mapping[str, Any]


def event_id_problem(event_id: Any) -> str | None:
    """Why ``event_id`` cannot be a once-only key, or None."""
    if not isinstance(event_id, str) or not event_id.strip():
        return "must be a non-empty string"
    if len(event_id) > KEY_VALUE_MAX_LENGTH:
        return f"must be at most {KEY_VALUE_MAX_LENGTH} characters"
    if any(not char.isprintable() for char in event_id):
        return "must not contain control characters"
    return None


def detail_problem(detail: Any) -> tuple[str, str] | None:
    """``(field, problem)`` when ``detail`` is not a JSON object within the free-form bounds, or None."""
    if not isinstance(detail, Mapping):
        return "detail", "must be a JSON object"
    for where, problem in json_problems(detail, "detail"):
        return where, problem
    return None


class EventRejectedError(ValidationFailedError):
    """An event from the bus that cannot be taken: no tenant or event ID, or a detail that does not fit
    (then the admins already have their reminder); the message goes to the dead-letter queue."""


def bus_event(envelope: Mapping[str, Any]) -> TriggeringEvent:
    """The event an EventBridge envelope (``id``, ``detail-type``, ``detail``) carries. The once-only key
    is ``detail.event_id`` when the sender set one (so the bus and ``POST /events`` can name the same
    event), else the envelope's ``id`` (kept by EventBridge across retries and archive replays).

    Raises EventRejectedError when the tenant, the event ID or the detail is missing or malformed."""
    detail = envelope.get("detail")
    problem = detail_problem(detail)
    if problem is not None:
        raise EventRejectedError(f"{problem[0]} {problem[1]}", {"field": problem[0]})
    assert isinstance(detail, Mapping)
    tenant_id = detail.get(TENANT_DETAIL_FIELD)
    if not isinstance(tenant_id, str) or re.fullmatch(KEY_VALUE_PATTERN, tenant_id) is None:
        raise EventRejectedError(
            "detail.tenant_id must name the tenant the event belongs to", {"field": "detail.tenant_id"}
        )
    given = detail.get(EVENT_ID_DETAIL_FIELD)
    event_id = given if given is not None else envelope.get("id")
    field = "detail.event_id" if given is not None else "id"
    id_problem = event_id_problem(event_id)
    if id_problem is not None:
        raise EventRejectedError(f"{field} {id_problem}", {"field": field})
    detail_type = envelope.get("detail-type")
    if not isinstance(detail_type, str) or not detail_type:
        raise EventRejectedError("detail-type is missing", {"field": "detail-type"})
    return TriggeringEvent(tenant_id, str(event_id), detail_type, detail)
