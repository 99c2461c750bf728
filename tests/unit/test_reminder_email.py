"""Email text for every reminder kind and for the digest; the notifier's parsing of the rule's events."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from workengine.domain.entities import Reminder
from workengine.domain.enums import ReminderKind
from workengine.domain.reminder_email import DigestContent, DigestLine, digest_email, reminder_email
from workengine.services.notification_service import MalformedReminderEvent, parse_reminder

AT = datetime(2026, 12, 3, 9, tzinfo=UTC)


def reminder(kind: ReminderKind, **fields: object) -> Reminder:
    return Reminder.model_validate(
        {
            "reminder_id": "r1", "tenant_id": "acme", "bundle_id": "b1", "task_id": "t1", "kind": kind,
            "fire_at": AT, "recipient": "mia", "message": "m", "created_at": AT,
            "details": {"task_title": "Sign the lease", "bundle_title": "Office move"}, **fields,
        }
    )  # fmt: skip


@pytest.mark.parametrize("kind", list(ReminderKind))
def test_every_kind_has_a_headline_and_something_to_do(kind: ReminderKind) -> None:
    email = reminder_email(reminder(kind), task=None, bundle=None)

    assert email.subject.startswith("[work engine] ") and kind.value not in email.subject.split(":")[0]
    assert "Sign the lease (Office move)" in email.subject
    assert "What to do: " in email.body and "Open the task" not in email.body


def test_a_bundle_reminder_names_the_bundle() -> None:
    email = reminder_email(
        reminder(ReminderKind.STAGE_CHANGE, task_id=None, details={"bundle_title": "Move"}), None, None
    )

    assert email.subject == "[work engine] New stage: Move" and "task -" in email.body


def test_the_digest_counts_and_lists_each_section() -> None:
    line = DigestLine("t1", "Sign the lease", "Office move", date(2026, 12, 1))
    email = digest_email(date(2026, 12, 3), DigestContent(overdue=[line], due_today=[], waiting=[]))

    assert email.subject.endswith("1 overdue, 0 due today, 0 waiting")
    assert "  - Sign the lease (Office move), due 2026-12-01 [t1]" in email.body
    assert email.body.count("(none)") == 2


def test_the_notifier_reads_the_reminder_from_the_event_and_refuses_anything_else() -> None:
    event = {"detail-type": "ReminderCreated", "source": "workengine",
             "detail": reminder(ReminderKind.DUE).model_dump(mode="json")}  # fmt: skip

    assert parse_reminder(json.dumps(event)).reminder_id == "r1"
    for body in (
        "not json",
        json.dumps({**event, "detail-type": "Other"}),
        json.dumps({**event, "detail": {}}),
    ):
        with pytest.raises(MalformedReminderEvent):
            parse_reminder(body)
