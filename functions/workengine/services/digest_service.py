"""The daily digest: one email per person who asked for it (``digest: daily``), listing their overdue,
due-today and waiting tasks, sent by the sweep at the first run after 07:00 in their time zone.

Found without scanning: a person's preferences item sits in the due index (``DIGEST#<shard>``) at their next
digest time while the digest is on. Once a day: the sweep first moves that entry to the next day with a
write conditioned on the time it read (the day's marker), and only the sweep that moved it sends; after an
outage one digest goes out, not one per missed day. A day with nothing to list sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from workengine.dal.due_index import DIGEST_SHARDS
from workengine.dal.mailer import MailNotSent
from workengine.dal.notification_repository import DynamoNotificationRepository
from workengine.dal.user_directory import UserDirectory
from workengine.domain.entities import Task
from workengine.domain.enums import BundleStatus, TaskStatus
from workengine.domain.preferences import NotificationPreferences
from workengine.domain.reminder_email import DigestContent, DigestLine, digest_email
from workengine.domain.task_actions import is_snoozed
from workengine.observability import logger, metrics
from workengine.services.notification_service import Mailer
from workengine.services.sweep_work import UNLIMITED, Budget, due_pages


@dataclass
class DigestReport:
    sent: list[str] = field(default_factory=list)  # "<tenant>/<user>"
    empty: int = 0
    skipped: list[str] = field(default_factory=list)  # already sent by another run, or no address
    failed: list[str] = field(default_factory=list)
    requests: int = 0


class DigestService:
    """Raises ServiceUnavailableError when DynamoDB throttles (the next sweep picks the rest up)."""

    def __init__(
        self,
        repository: DynamoNotificationRepository,
        mailer: Mailer,
        directory: UserDirectory,
        *,
        page_size: int = 100,
        shards: int = DIGEST_SHARDS,
    ) -> None:
        self._repository = repository
        self._mailer = mailer
        self._directory = directory
        self._page_size = page_size
        self._shards = shards

    def send_due(self, now: datetime, budget: Budget = UNLIMITED) -> DigestReport:
        report = DigestReport()
        read = self._repository.due_digest_page
        for due in due_pages(read, now, shards=self._shards, page_size=self._page_size, budget=budget):
            report.requests += 1
            for preferences in due:
                self._send_one(preferences, now, report)
        if report.sent:
            metrics.add_metric(name="DigestsSent", unit="Count", value=len(report.sent))
        return report

    def _send_one(self, preferences: NotificationPreferences, now: datetime, report: DigestReport) -> None:
        who = f"{preferences.tenant_id}/{preferences.user_id}"
        if not self._repository.advance_digest(preferences, preferences.digest_time_after(now)):
            report.skipped.append(who)
            return
        report.requests += 1
        address = preferences.email or self._directory.email_of(preferences.user_id)
        if address is None:
            logger.info("digest without an address", extra={"user_id": preferences.user_id})
            report.skipped.append(who)
            return
        day = preferences.local_day(now)
        content = self.content(preferences, now, report)
        if content.empty:
            report.empty += 1
            return
        try:
            self._mailer.send(address, digest_email(day, content))
        except MailNotSent as exc:  # today's digest is claimed: it is not retried (tomorrow's will come)
            logger.warning("digest not sent", extra={"user_id": preferences.user_id, "detail": exc.detail})
            report.failed.append(who)
            return
        report.requests += 1
        report.sent.append(who)

    def content(
        self, preferences: NotificationPreferences, now: datetime, report: DigestReport
    ) -> DigestContent:
        """The person's open tasks of active bundles, not snoozed: overdue, due today (their local day),
        and waiting."""
        today = preferences.local_day(now)
        tasks, requests = self._repository.open_tasks_of(
            preferences.tenant_id, preferences.user_id, today.isoformat()
        )
        report.requests += requests
        bundles = (
            self._repository.bundles([(task.tenant_id, task.bundle_id) for task in tasks]) if tasks else {}
        )
        report.requests += (len({task.bundle_id for task in tasks}) + 99) // 100
        overdue: list[DigestLine] = []
        due_today: list[DigestLine] = []
        waiting: list[DigestLine] = []
        for task in sorted(tasks, key=_order):
            bundle = bundles.get((task.tenant_id, task.bundle_id))
            if bundle is None or bundle.status is not BundleStatus.ACTIVE or is_snoozed(task, now):
                continue
            line = DigestLine(task.task_id, task.title, bundle.title, task.due_date, task.waiting_for)
            if task.status is TaskStatus.WAITING:
                waiting.append(line)
            elif task.due_date is not None and task.due_date < today:
                overdue.append(line)
            elif task.due_date == today:
                due_today.append(line)
        return DigestContent(overdue=overdue, due_today=due_today, waiting=waiting)


def _order(task: Task) -> tuple[str, str]:
    return (task.due_date.isoformat() if task.due_date else "9999-12-31", task.task_id)
