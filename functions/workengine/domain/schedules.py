"""Recurring workflows: a tenant's schedule of a template and the occurrences it is due for (pure)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import Field

from workengine.domain.entities import Entity
from workengine.domain.rendering import render_strict
from workengine.domain.template import ScheduleTrigger, WorkflowTemplate

# A minute-level cron after a long outage must not spin forever; older occurrences are past catching up.
MAX_OCCURRENCES_SCANNED = 5000


class Schedule(Entity):
    """A template's schedule trigger switched on for one tenant, with what its bundles get."""

    tenant_id: str
    template_id: str
    enabled: bool = False
    assignees: dict[str, str] = Field(default_factory=dict)
    references: dict[str, str] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    cron: str
    next_occurrence: datetime | None = None
    last_occurrence: datetime | None = None
    last_bundle_id: str | None = None
    skipped_occurrences: int = 0
    version: int = 1
    created_at: datetime
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class DueOccurrences:
    """What a sweep at ``now`` does for one schedule: instantiate ``run`` (oldest first), count
    ``skipped`` older ones beyond the catch-up bound, then wait for ``next_occurrence``."""

    run: list[datetime]
    skipped: int
    next_occurrence: datetime


def next_after(cron: str, after: datetime) -> datetime:
    """The first cron time strictly after ``after`` (cron fields are UTC)."""
    from croniter import croniter  # only the sweep computes occurrences; the API does not pay for it

    value: datetime = croniter(cron, after.astimezone(UTC)).get_next(datetime)
    return value.astimezone(UTC)


def due_occurrences(cron: str, first: datetime, now: datetime, catch_up_limit: int) -> DueOccurrences:
    """Occurrences from ``first`` through ``now``: the latest always runs, plus at most ``catch_up_limit``
    missed ones before it (an outage of a year does not create twelve stale newsletters)."""
    keep = catch_up_limit + 1
    recent: deque[datetime] = deque(maxlen=keep)
    seen = 0
    current = first
    while current <= now and seen < MAX_OCCURRENCES_SCANNED:
        recent.append(current)
        seen += 1
        current = next_after(cron, current)
    while current <= now:  # past the scan bound: jump to the first occurrence after now
        current = next_after(cron, now)
    return DueOccurrences(run=list(recent), skipped=seen - len(recent), next_occurrence=current)


def occurrence_key(occurrence: datetime) -> str:
    return occurrence.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def scheduled_bundle_id(template_id: str, occurrence: datetime) -> str:
    """Deterministic, so the bundle item itself is the once-only marker of tenant + occurrence."""
    return f"b_{template_id}_{occurrence_key(occurrence)}"


def anchor_date_for(trigger: ScheduleTrigger, occurrence: datetime) -> date:
    return occurrence.astimezone(UTC).date() + timedelta(days=trigger.anchor_offset_days)


def scheduled_title(trigger: ScheduleTrigger, template: WorkflowTemplate, occurrence: datetime) -> str:
    """Raises MissingVariableError when the pattern names something the context lacks."""
    context: dict[str, Any] = {
        "anchor_date": anchor_date_for(trigger, occurrence),
        "occurrence_date": occurrence.astimezone(UTC).date(),
        "template": template.model_dump(mode="json"),
        "inputs": {spec.key: spec.default for spec in template.inputs if spec.default is not None},
    }
    return render_strict(trigger.title_pattern, context)
