"""A person's notification preferences: read (the defaults until they save) and replace."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from workengine.dal.notification_repository import DynamoNotificationRepository
from workengine.domain.enums import ReminderKind, Role
from workengine.domain.identity import Identity
from workengine.domain.preferences import (
    Channel,
    Digest,
    NotificationPreferences,
    QuietHours,
    default_preferences,
)
from workengine.domain.versioning import next_version


class PreferenceService:
    """Raises VersionConflictError when two saves of one person's preferences race (409)."""

    def __init__(self, repository: DynamoNotificationRepository, clock: Callable[[], datetime]) -> None:
        self._repository = repository
        self._clock = clock

    def get(self, identity: Identity) -> NotificationPreferences:
        identity.require(Role.VIEWER)
        stored = self._repository.get_preferences(identity.tenant_id, identity.user_id)
        return stored or default_preferences(identity.tenant_id, identity.user_id)

    def put(
        self,
        identity: Identity,
        *,
        email: str | None,
        channels: list[Channel],
        quiet_hours: QuietHours | None,
        muted_kinds: list[ReminderKind],
        digest: Digest,
    ) -> NotificationPreferences:
        """Replaces the caller's preferences. The next digest time is kept while the digest stays on in
        the same time zone (saving twice a day never sends a second digest), else recomputed."""
        identity.require(Role.VIEWER)
        now = self._clock()
        current = self.get(identity)
        updated = NotificationPreferences(
            tenant_id=identity.tenant_id,
            user_id=identity.user_id,
            email=email,
            channels=channels,
            quiet_hours=quiet_hours,
            muted_kinds=muted_kinds,
            digest=digest,
            role=identity.role.value,
            version=next_version(current),
            updated_at=now,
        )
        if digest is Digest.DAILY:
            same_zone = current.digest_zone() == updated.digest_zone()
            keep = current.digest is Digest.DAILY and same_zone and current.next_digest_at is not None
            updated.next_digest_at = current.next_digest_at if keep else updated.digest_time_after(now)
        self._repository.save_preferences(updated, current.version)
        return updated
