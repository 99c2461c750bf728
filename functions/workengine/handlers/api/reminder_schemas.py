"""API models of ``/reminders`` and ``/schedules``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workengine.domain.bounds import Flag, RoleName, Tag, UserId
from workengine.domain.entities import Reminder
from workengine.domain.enums import ReminderStatus
from workengine.handlers.api.schemas import MAX_REFERENCES, MAX_TAGS, ReferenceName, Url, _check_urls


class ReminderPage(BaseModel):
    model_config = ConfigDict(defer_build=True)
    items: list[Reminder]
    next_token: str | None


class ReminderEnvelope(BaseModel):
    model_config = ConfigDict(defer_build=True)
    reminder: Reminder


class PatchReminderBody(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    status: ReminderStatus


class PutScheduleBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    enabled: Flag
    assignees: dict[RoleName, UserId] = Field(default_factory=dict, max_length=50)
    references: dict[ReferenceName, Url] = Field(default_factory=dict, max_length=MAX_REFERENCES)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)

    _urls = field_validator("references")(_check_urls)


class ScheduleView(BaseModel):
    """A schedule as clients see it (no storage keys)."""

    model_config = ConfigDict(defer_build=True)

    template_id: str
    tenant_id: str
    enabled: bool
    cron: str
    assignees: dict[str, str]
    references: dict[str, str]
    tags: list[str]
    next_occurrence: datetime | None
    last_occurrence: datetime | None
    last_bundle_id: str | None
    skipped_occurrences: int
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str


class ScheduleEnvelope(BaseModel):
    model_config = ConfigDict(defer_build=True)
    schedule: ScheduleView


class ScheduleList(BaseModel):
    model_config = ConfigDict(defer_build=True)
    items: list[ScheduleView]
