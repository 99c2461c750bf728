"""Publishes reminders to the project's EventBridge bus (``ReminderCreated`` events)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from workengine.domain.entities import Reminder
from workengine.observability import logger

EVENT_SOURCE = "workengine"
DETAIL_TYPE_REMINDER_CREATED = "ReminderCreated"
PUT_EVENTS_BATCH = 10  # EventBridge accepts at most 10 entries per PutEvents call


@dataclass
class PublishResult:
    published: list[Reminder] = field(default_factory=list)
    failed: list[tuple[Reminder, str]] = field(default_factory=list)


class ReminderPublisher:
    """PutEvents in batches of at most 10; entries EventBridge rejects (or whole calls that fail) are
    retried up to ``max_attempts`` times in total, then reported as failed. Never raises for a publish
    failure: the caller records it (``publish_failed``) and a later sweep tries again."""

    def __init__(self, client: Any, event_bus_name: str, *, max_attempts: int = 3) -> None:
        self._client = client
        self._bus = event_bus_name
        self._max_attempts = max_attempts

    def _entry(self, reminder: Reminder) -> dict[str, Any]:
        return {
            "Source": EVENT_SOURCE,
            "DetailType": DETAIL_TYPE_REMINDER_CREATED,
            "Detail": json.dumps(reminder.model_dump(mode="json")),
            "EventBusName": self._bus,
            "Resources": [],
        }

    def publish(self, reminders: Sequence[Reminder]) -> PublishResult:
        result = PublishResult()
        for start in range(0, len(reminders), PUT_EVENTS_BATCH):
            self._publish_batch(list(reminders[start : start + PUT_EVENTS_BATCH]), result)
        return result

    def _publish_batch(self, batch: list[Reminder], result: PublishResult) -> None:
        pending = batch
        errors: dict[str, str] = {}
        for _attempt in range(self._max_attempts):
            if not pending:
                return
            try:
                response = self._client.put_events(Entries=[self._entry(r) for r in pending])
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
                errors.update({r.reminder_id: code for r in pending})
                continue
            except BotoCoreError as exc:
                # Unreachable endpoint, timeouts, credentials: the same as a refused call.
                errors.update({r.reminder_id: type(exc).__name__ for r in pending})
                continue
            retry: list[Reminder] = []
            for reminder, entry in zip(pending, response.get("Entries", []), strict=False):
                if entry.get("ErrorCode"):
                    errors[reminder.reminder_id] = f"{entry['ErrorCode']}: {entry.get('ErrorMessage', '')}"
                    retry.append(reminder)
                else:
                    result.published.append(reminder)
            # Entries missing from a malformed response count as failed too.
            retry.extend(pending[len(response.get("Entries", [])) :])
            pending = retry
        for reminder in pending:
            error = errors.get(reminder.reminder_id, "unknown")
            logger.warning(
                "reminder not published", extra={"reminder_id": reminder.reminder_id, "error": error}
            )
            result.failed.append((reminder, error))
