"""API models of ``/me/preferences``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workengine.domain.enums import ReminderKind
from workengine.domain.preferences import Channel, Digest, NotificationPreferences, QuietHours


def _checked_email(value: str | None) -> str | None:
    """Syntax only (no DNS lookups); the normalized form is stored. Imported here, on the one route that
    needs it, so the API's cold start does not pay for the library."""
    if value is None:
        return None
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc


class PutPreferencesBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    email: str | None = Field(default=None, max_length=254, json_schema_extra={"format": "email"})
    channels: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL, Channel.EVENTS], max_length=2)
    quiet_hours: QuietHours | None = None
    muted_kinds: list[ReminderKind] = Field(default_factory=list, max_length=len(ReminderKind))
    digest: Digest = Digest.OFF

    _email = field_validator("email")(_checked_email)

    @field_validator("channels", "muted_kinds")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class PreferencesView(BaseModel):
    """Preferences as the person sees them (the defaults, version 0, until they save)."""

    model_config = ConfigDict(defer_build=True)

    user_id: str
    email: str | None
    channels: list[Channel]
    quiet_hours: QuietHours | None
    muted_kinds: list[ReminderKind]
    digest: Digest
    next_digest_at: datetime | None
    version: int
    updated_at: datetime | None

    @classmethod
    def of(cls, preferences: NotificationPreferences) -> PreferencesView:
        return cls.model_validate(preferences.model_dump())
