"""Publishes reminders to the project's EventBridge bus (``ReminderCreated`` events)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from workengine.domain.entities import Reminder
from workengine.observability import logger
from workengine.retries import resend_leftovers

EVENT_SOURCE = "workengine"
DETAIL_TYPE_REMINDER_CREATED = "ReminderCreated"
PUT_EVENTS_BATCH = 10  # EventBridge accepts at most 10 entries per PutEvents call


def reminder_created_pattern() -> dict[str, Any]:
    """The event pattern of the notifier's rule (the CDK stack and the local server use this one)."""
    return {"source": [EVENT_SOURCE], "detail-type": [DETAIL_TYPE_REMINDER_CREATED]}


@dataclass
class PublishResult:
    published: list[Reminder] = field(default_factory=list)
    failed: list[tuple[Reminder, str]] = field(default_factory=list)


class ReminderPublisher:
    """PutEvents in batches of at most 10; entries EventBridge rejects (or whole calls that fail) are
    retried after a jittered backoff, up to ``max_attempts`` sends in all, then reported as failed.
    Never raises for a publish failure: the caller records it (``publish_failed``) and a later sweep
    tries again."""

    def __init__(
        self,
        client: Any,
        event_bus_name: str,
        *,
        max_attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._bus = event_bus_name
        self._max_attempts = max_attempts
        self._sleep = sleep

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
        errors: dict[str, str] = {}

        def send(pending: list[Reminder]) -> list[Reminder] | None:
            """One PutEvents; the reminders still to publish (refused entries or a failed call)."""
            try:
                response = self._client.put_events(Entries=[self._entry(r) for r in pending])
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
                errors.update({r.reminder_id: code for r in pending})
                return pending
            except BotoCoreError as exc:
                # Unreachable endpoint, timeouts, credentials: the same as a refused call.
                errors.update({r.reminder_id: type(exc).__name__ for r in pending})
                return pending
            retry: list[Reminder] = []
            for reminder, entry in zip(pending, response.get("Entries", []), strict=False):
                if entry.get("ErrorCode"):
                    errors[reminder.reminder_id] = f"{entry['ErrorCode']}: {entry.get('ErrorMessage', '')}"
                    retry.append(reminder)
                else:
                    result.published.append(reminder)
            # Entries missing from a malformed response count as failed too.
            retry.extend(pending[len(response.get("Entries", [])) :])
            return retry or None

        pending = resend_leftovers(send, batch, attempts=self._max_attempts, sleep=self._sleep) or []
        for reminder in pending:
            error = errors.get(reminder.reminder_id, "unknown")
            logger.warning(
                "reminder not published", extra={"reminder_id": reminder.reminder_id, "error": error}
            )
            result.failed.append((reminder, error))
