"""Reminders of a tenant: list them, and let their recipient acknowledge one."""

from __future__ import annotations

from workengine.dal.reminder_repository import DynamoReminderRepository
from workengine.domain.clock import Clock, utc_now
from workengine.domain.entities import Reminder
from workengine.domain.enums import ReminderKind, ReminderStatus, Role
from workengine.domain.errors import ForbiddenError, ValidationFailedError
from workengine.domain.identity import Identity
from workengine.domain.reminder_factory import ADMINS_RECIPIENT
from workengine.domain.versioning import next_version
from workengine.services.pagination import PageTokenCodec


class ReminderService:
    """Raises NotFoundError (unknown or another tenant's reminder), ForbiddenError (acknowledging
    someone else's reminder without the admin role), ValidationFailedError, VersionConflictError."""

    def __init__(
        self, repository: DynamoReminderRepository, tokens: PageTokenCodec, *, clock: Clock = utc_now
    ) -> None:
        self._repository = repository
        self._tokens = tokens
        self._clock = clock

    def list_reminders(
        self,
        identity: Identity,
        *,
        bundle_id: str | None,
        kind: ReminderKind | None,
        limit: int,
        next_token: str | None,
        recipient: str | None = None,
    ) -> tuple[list[Reminder], str | None]:
        """``recipient="me"`` means the caller, and for an admin also what is addressed to the tenant's
        admins (``role:admin``)."""
        identity.require(Role.VIEWER)
        who: list[str] | None = [recipient] if recipient is not None else None
        if recipient == "me":
            who = [identity.user_id]
            if identity.role.at_least(Role.ADMIN):
                who.append(ADMINS_RECIPIENT)
        scope = f"reminders:{bundle_id or ''}:{kind.value if kind else ''}:{','.join(who or [])}"
        cursor = self._tokens.decode(next_token, identity.tenant_id, scope)
        page = self._repository.list_reminders(
            identity.tenant_id, bundle_id=bundle_id, kind=kind, limit=limit, cursor=cursor, recipients=who
        )
        return page.items, self._tokens.encode(identity.tenant_id, scope, page.cursor)

    def set_status(self, identity: Identity, reminder_id: str, status: ReminderStatus) -> Reminder:
        identity.require(Role.VIEWER)
        if status is not ReminderStatus.ACKNOWLEDGED:
            raise ValidationFailedError(
                "a reminder can only be set to acknowledged", {"field": "status", "allowed": ["acknowledged"]}
            )
        reminder = self._repository.find_reminder(identity.tenant_id, reminder_id)
        if reminder.recipient != identity.user_id and not identity.role.at_least(Role.ADMIN):
            raise ForbiddenError(
                "only the recipient or an admin can acknowledge a reminder", {"reminder_id": reminder_id}
            )
        if reminder.status is ReminderStatus.ACKNOWLEDGED:
            return reminder
        updated = reminder.model_copy(
            update={
                "status": ReminderStatus.ACKNOWLEDGED,
                "version": next_version(reminder),
                "updated_at": self._clock(),
                "details": {**reminder.details, "acknowledged_by": identity.user_id},
            }
        )
        self._repository.save_reminder(updated, reminder.version)
        return updated
