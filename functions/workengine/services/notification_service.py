"""Email delivery of reminders: the notifier (on ``ReminderCreated``) and, at the end of quiet hours, the
sweep. Every attempt is appended to the reminder's ``deliveries``.

At most once: the email is claimed on the reminder item with a conditional write (``email_state``) before
SES is called, so a redelivered event, a replay or two sweeps racing find it taken and send nothing. A
crash between the claim and SES accepting the message leaves the claim without a ``sent`` delivery and
that one email is not sent (the reminder stays listed in the API and in tomorrow's digest); a second email
is never sent. SES refusing because it is busy (the message certainly was not accepted) releases the claim
and the event is retried; any other failure is recorded ``failed`` and final.

Recipients are user IDs. ``role:<role>`` (e.g. ``role:admin`` for automation failures) reaches every user of
the tenant who saved preferences while holding that role, in one email (Bcc), without quiet hours (someone
has to act); see docs/decision_log.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from workengine.dal.due_index import NOTIFY_SHARDS
from workengine.dal.mailer import MailNotSent
from workengine.dal.notification_repository import DynamoNotificationRepository, EmailState
from workengine.dal.reminder_publisher import DETAIL_TYPE_REMINDER_CREATED
from workengine.dal.user_directory import UserDirectory
from workengine.domain.entities import Reminder
from workengine.domain.preferences import (
    Channel,
    Delivery,
    DeliveryPlan,
    DeliveryStatus,
    NotificationPreferences,
    default_preferences,
    plan_email,
)
from workengine.domain.reminder_email import Email, reminder_email
from workengine.observability import logger, metrics
from workengine.services.sweep_work import UNLIMITED, Budget, due_pages

ROLE_PREFIX = "role:"
RETRY_AFTER_BUSY = timedelta(minutes=5)


class MalformedReminderEvent(ValueError):
    """The message is not an EventBridge ``ReminderCreated`` event carrying a reminder."""


def parse_reminder(body: str) -> Reminder:
    try:
        envelope = json.loads(body)
        if envelope.get("detail-type") != DETAIL_TYPE_REMINDER_CREATED:
            raise MalformedReminderEvent(f"not a {DETAIL_TYPE_REMINDER_CREATED} event")
        return Reminder.model_validate(envelope["detail"])
    except (ValueError, KeyError, AttributeError, TypeError) as exc:
        raise MalformedReminderEvent(str(exc)[:300]) from exc


class Mailer(Protocol):
    def send(self, to: str, email: Email, *, bcc: Sequence[str] = ()) -> str: ...


@dataclass
class DeliveryOutcome:
    reminder_id: str
    status: DeliveryStatus | None  # None: nothing done (already handled elsewhere)
    detail: str = ""


@dataclass
class DeferredReport:
    delivered: list[DeliveryOutcome] = field(default_factory=list)
    pages: int = 0


class NotificationService:
    """Raises ServiceUnavailableError when DynamoDB throttles, and MailNotSent (retryable) when SES is busy
    after the claim was given back: both mean "deliver this event again"."""

    def __init__(
        self,
        repository: DynamoNotificationRepository,
        mailer: Mailer,
        directory: UserDirectory,
        *,
        page_size: int = 100,
        shards: int = NOTIFY_SHARDS,
    ) -> None:
        self._repository = repository
        self._mailer = mailer
        self._directory = directory
        self._page_size = page_size
        self._shards = shards

    # ---- the notifier -----------------------------------------------------------------------------
    def deliver(self, reminder: Reminder, now: datetime) -> DeliveryOutcome:
        """Emails ``reminder`` to its recipient now, or records why not (muted, deferred, no address)."""
        return self._deliver(reminder, now, expected=None)

    # ---- the sweep: quiet hours that ended ------------------------------------------------------
    def deliver_deferred(self, now: datetime, budget: Budget = UNLIMITED) -> DeferredReport:
        """Every email held back by quiet hours that ended by ``now``, through the due index."""
        report = DeferredReport()
        read = self._repository.due_deferred_page
        for due in due_pages(read, now, shards=self._shards, page_size=self._page_size, budget=budget):
            report.pages += 1
            for entry in due:
                reminder = self._repository.get_reminder(entry.tenant_id, entry.bundle_id, entry.reminder_id)
                if reminder is None:  # deleted with its bundle's data: nothing to deliver
                    self._repository.drop_deferred(entry)
                    continue
                report.delivered.append(self._deliver(reminder, now, expected=EmailState.DEFERRED))
        return report

    # ---- one reminder -----------------------------------------------------------------------------
    def _deliver(self, reminder: Reminder, now: datetime, *, expected: EmailState | None) -> DeliveryOutcome:
        if reminder.recipient.startswith(ROLE_PREFIX):
            return self._deliver_to_role(reminder, now, expected)
        context = self._repository.reminder_context(reminder)
        preferences = context.preferences or default_preferences(reminder.tenant_id, reminder.recipient)
        address = preferences.email or self._directory.email_of(reminder.recipient)
        plan, until, detail = plan_email(reminder.kind, preferences, address, now)
        if plan is DeliveryPlan.MUTE:
            return self._record(reminder, EmailState.MUTED, DeliveryStatus.MUTED, now, detail, expected)
        if plan is DeliveryPlan.NO_ADDRESS:
            return self._record(reminder, EmailState.FAILED, DeliveryStatus.FAILED, now, detail, expected)
        if plan is DeliveryPlan.DEFER:
            return self._record(
                reminder,
                EmailState.DEFERRED,
                DeliveryStatus.DEFERRED,
                now,
                detail,
                expected,
                defer_until=until,
            )
        assert address is not None
        email = reminder_email(reminder, context.task, context.bundle)
        return self._send(reminder, now, expected, email, to=address)

    def _deliver_to_role(
        self, reminder: Reminder, now: datetime, expected: EmailState | None
    ) -> DeliveryOutcome:
        role = reminder.recipient.removeprefix(ROLE_PREFIX)
        addresses = sorted(
            {
                address
                for prefs in self._repository.users_with_role(reminder.tenant_id, role)
                if (address := self._address(prefs)) is not None
                and Channel.EMAIL in prefs.channels
                and reminder.kind not in prefs.muted_kinds
            }
        )
        if not addresses:
            detail = f"no user of role {role!r} has an email address and {reminder.kind.value} unmuted"
            return self._record(reminder, EmailState.FAILED, DeliveryStatus.FAILED, now, detail, expected)
        context = self._repository.reminder_context(reminder)
        email = reminder_email(reminder, context.task, context.bundle)
        return self._send(reminder, now, expected, email, to=addresses[0], bcc=addresses[1:])

    def _address(self, preferences: NotificationPreferences) -> str | None:
        return preferences.email or self._directory.email_of(preferences.user_id)

    def _send(
        self,
        reminder: Reminder,
        now: datetime,
        expected: EmailState | None,
        email: Email,
        *,
        to: str,
        bcc: Sequence[str] = (),
    ) -> DeliveryOutcome:
        if not self._repository.claim_email(reminder, deferred=expected is EmailState.DEFERRED):
            logger.info("email already handled", extra={"reminder_id": reminder.reminder_id})
            return DeliveryOutcome(reminder.reminder_id, None, "already handled")
        try:
            message_id = self._mailer.send(to, email, bcc=bcc)
        except MailNotSent as exc:
            if exc.retryable:
                self._repository.release_claim(reminder, expected, now + RETRY_AFTER_BUSY)
                raise
            return self._record(
                reminder, EmailState.FAILED, DeliveryStatus.FAILED, now, exc.detail, EmailState.CLAIMED
            )
        recipients = 1 + len(bcc)
        detail = f"SES message {message_id}" + (f" to {recipients} recipients" if bcc else "")
        metrics.add_metric(name="RemindersEmailed", unit="Count", value=1)
        return self._record(reminder, EmailState.SENT, DeliveryStatus.SENT, now, detail, EmailState.CLAIMED)

    def _record(
        self,
        reminder: Reminder,
        state: EmailState,
        status: DeliveryStatus,
        now: datetime,
        detail: str,
        expected: EmailState | None,
        *,
        defer_until: datetime | None = None,
    ) -> DeliveryOutcome:
        delivery = Delivery(channel=Channel.EMAIL, status=status, at=now, detail=detail)
        written = self._repository.record(
            reminder, state, delivery, expected=expected, defer_until=defer_until
        )
        if not written:
            logger.info("email already handled", extra={"reminder_id": reminder.reminder_id})
            return DeliveryOutcome(reminder.reminder_id, None, "already handled")
        logger.info(
            "reminder email",
            extra={"reminder_id": reminder.reminder_id, "status": status.value, "detail": detail},
        )
        return DeliveryOutcome(reminder.reminder_id, status, detail)
