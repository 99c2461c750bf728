"""A person's notification preferences (per tenant and user) and what they decide about one delivery.

Quiet hours are wall-clock times in an IANA time zone (``zoneinfo``): ``22:00``-``07:00`` spans midnight,
and a delivery that falls inside them waits for their end, computed in that zone (so daylight-saving
shifts move the end with the clock, as the person expects). ``start == end`` means no quiet hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workengine.domain.enums import ReminderKind

HH_MM_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
# Most people read their digest at the start of the working day (in their quiet-hours zone, else UTC).
DIGEST_LOCAL_TIME = time(7, 0)


class Channel(StrEnum):
    EMAIL = "email"
    EVENTS = "events"


class Digest(StrEnum):
    OFF = "off"
    DAILY = "daily"


class DeliveryStatus(StrEnum):
    SENT = "sent"
    DEFERRED = "deferred"
    MUTED = "muted"
    FAILED = "failed"


class Delivery(BaseModel):
    """One attempt to reach a reminder's recipient on a channel (appended to ``Reminder.deliveries``)."""

    model_config = ConfigDict(defer_build=True)

    channel: Channel
    status: DeliveryStatus
    at: datetime
    detail: str = ""


def zone(name: str) -> ZoneInfo:
    """The IANA zone; raises ValueError for an unknown (or malformed) name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc


class QuietHours(BaseModel):
    # a misspelt member ("timezone") is refused, not dropped
    model_config = ConfigDict(defer_build=True, extra="forbid")

    start: str = Field(pattern=HH_MM_PATTERN, description="Local start, HH:MM (24 h).")
    end: str = Field(pattern=HH_MM_PATTERN, description="Local end, HH:MM; before start spans midnight.")
    time_zone: str = Field(min_length=1, max_length=64, description="IANA time zone name.")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value

    def ends_after(self, at: datetime) -> datetime | None:
        """When ``at`` falls in quiet hours, the (UTC) moment they end; else None."""
        if self.start == self.end:
            return None
        tz = zone(self.time_zone)
        local = at.astimezone(tz)
        start, end = time.fromisoformat(self.start), time.fromisoformat(self.end)
        clock = local.time().replace(tzinfo=None)
        if start < end:
            inside = start <= clock < end
            end_day = local.date()
        else:  # spans midnight: inside late in the evening (ends tomorrow) or early in the morning
            inside = clock >= start or clock < end
            end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
        if not inside:
            return None
        return _local_moment(end_day, end, tz)


def _local_moment(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """``day`` at ``clock`` in ``tz``, in UTC (a wall time skipped by a DST jump resolves forwards)."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


class NotificationPreferences(BaseModel):
    model_config = ConfigDict(defer_build=True)
    tenant_id: str
    user_id: str
    email: str | None = None
    channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL, Channel.EVENTS])
    quiet_hours: QuietHours | None = None
    muted_kinds: list[ReminderKind] = Field(default_factory=list)
    digest: Digest = Digest.OFF
    role: str | None = Field(default=None, description="The user's role when they last saved (directory).")
    next_digest_at: datetime | None = None
    version: int = 0  # 0: nothing stored yet (the defaults)
    updated_at: datetime | None = None

    def digest_zone(self) -> ZoneInfo:
        return zone(self.quiet_hours.time_zone) if self.quiet_hours else ZoneInfo("UTC")

    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.digest_zone()).date()

    def digest_time_after(self, at: datetime) -> datetime:
        """The first digest time (07:00 in the person's zone) strictly after ``at``."""
        tz = self.digest_zone()
        day = at.astimezone(tz).date()
        candidate = _local_moment(day, DIGEST_LOCAL_TIME, tz)
        while candidate <= at:
            day += timedelta(days=1)
            candidate = _local_moment(day, DIGEST_LOCAL_TIME, tz)
        return candidate


def default_preferences(tenant_id: str, user_id: str) -> NotificationPreferences:
    return NotificationPreferences(tenant_id=tenant_id, user_id=user_id)


class DeliveryPlan(StrEnum):
    SEND = "send"
    MUTE = "mute"
    DEFER = "defer"
    NO_ADDRESS = "no_address"


def plan_email(
    kind: ReminderKind, preferences: NotificationPreferences, address: str | None, now: datetime
) -> tuple[DeliveryPlan, datetime | None, str]:
    """What to do with one reminder's email now: ``(plan, deferred_until, detail)``."""
    if Channel.EMAIL not in preferences.channels:
        return DeliveryPlan.MUTE, None, "the email channel is off"
    if kind in preferences.muted_kinds:
        return DeliveryPlan.MUTE, None, f"{kind.value} reminders are muted"
    if not address:
        return DeliveryPlan.NO_ADDRESS, None, "no email address on file"
    quiet_end = preferences.quiet_hours.ends_after(now) if preferences.quiet_hours else None
    if quiet_end is not None:
        return DeliveryPlan.DEFER, quiet_end, f"quiet hours until {quiet_end.isoformat()}"
    return DeliveryPlan.SEND, None, ""
