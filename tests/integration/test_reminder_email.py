"""Reminder email on moto (DynamoDB + SES): preferences decide, every attempt is recorded on the reminder,
quiet hours defer to their end through the due index, mutes are recorded, redelivery sends nothing twice,
and the daily digest goes out once per person and day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests.support.api import ApiClient, Caller
from tests.support.reminders import Clock, World, reminder_items
from workengine.dal.aws import client
from workengine.dal.items import reminder_item
from workengine.dal.mailer import MailNotSent, SesMailer
from workengine.dal.notification_repository import DynamoNotificationRepository
from workengine.dal.user_directory import NoDirectory
from workengine.domain.entities import Reminder
from workengine.domain.enums import ReminderKind, Role, TaskStatus
from workengine.domain.preferences import DeliveryStatus
from workengine.domain.reminder_email import Email
from workengine.services.digest_service import DigestService
from workengine.services.notification_service import NotificationService
from workengine.settings import get_settings

ANCHOR = date(2026, 12, 14)  # test-flow: mia's "Draft the plan" is due 2026-12-04 (reminded from 12-03)
REX = Caller("acme", "rex", Role.MEMBER)


def sent() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def repository() -> DynamoNotificationRepository:
    return DynamoNotificationRepository(client("dynamodb"), get_settings().table_name)


def notifier(mailer: Any = None) -> NotificationService:
    mailer = mailer or SesMailer(client("sesv2"), get_settings().email_sender)
    return NotificationService(repository(), mailer, NoDirectory())


def put_preferences(api: ApiClient, caller: Caller | None = None, **body: Any) -> dict[str, Any]:
    response = api.call("PUT", "/me/preferences", body=body, caller=caller)
    assert response.status == 200, response.body
    return dict(response.body)


def stored(reminder: Reminder) -> dict[str, Any]:
    return next(r for r in reminder_items(reminder.bundle_id) if r["reminder_id"] == reminder.reminder_id)


@pytest.fixture
def due_reminder(api: ApiClient) -> Reminder:
    """mia's ``due`` reminder for "Draft the plan", created by the sweep on 3 Dec."""
    world = World(Clock(datetime(2026, 11, 1, tzinfo=UTC)))
    world.create_test_flow(ANCHOR)
    world.sweep(datetime(2026, 12, 3, 9, tzinfo=UTC))
    item = next(r for r in reminder_items() if r["kind"] == "due" and r["recipient"] == "mia")
    return Reminder.model_validate(item)


def test_a_reminder_is_emailed_once_with_a_readable_subject_and_body(
    api: ApiClient, due_reminder: Reminder
) -> None:
    put_preferences(api, email="mia@example.com")
    now = datetime(2026, 12, 3, 9, 1, tzinfo=UTC)

    first = notifier().deliver(due_reminder, now)
    again = notifier().deliver(due_reminder, now + timedelta(minutes=1))  # the event, redelivered

    assert first.status is DeliveryStatus.SENT and again.status is None
    [message] = sent()
    assert message.destinations["ToAddresses"] == ["mia@example.com"]
    assert message.source == get_settings().email_sender
    assert "Due soon: Draft the plan (Launch)" in message.subject
    assert "Due: 2026-12-04" in message.body and "What to do:" in message.body
    assert "Proof still needed: url" in message.body
    deliveries = stored(due_reminder)["deliveries"]
    assert [(d["channel"], d["status"]) for d in deliveries] == [("email", "sent")]
    assert deliveries[0]["detail"].startswith("SES message ")
    listed = api.get("/reminders", query={"bundle_id": due_reminder.bundle_id, "kind": "due"}).body["items"]
    assert [
        d["status"] for r in listed if r["reminder_id"] == due_reminder.reminder_id for d in r["deliveries"]
    ] == ["sent"]


def test_the_instructions_link_is_in_the_email_when_the_task_has_one(api: ApiClient) -> None:
    world = World(Clock(datetime(2026, 11, 1, tzinfo=UTC)))
    world.create_test_flow(ANCHOR)
    world.sweep(datetime(2026, 12, 13, 9, tzinfo=UTC))
    release = next(
        Reminder.model_validate(r)
        for r in reminder_items()
        if r["kind"] == "due" and r["details"].get("task_title") == "Release"
    )
    put_preferences(api, email="mia@example.com")

    notifier().deliver(release, datetime(2026, 12, 13, 9, 1, tzinfo=UTC))

    assert "Instructions: https://legacy.example.com/release" in sent()[-1].body


def test_quiet_hours_defer_the_email_to_their_end_through_the_due_index(
    api: ApiClient, due_reminder: Reminder
) -> None:
    put_preferences(
        api,
        email="mia@example.com",
        quiet_hours={"start": "22:00", "end": "07:00", "time_zone": "Europe/Berlin"},
    )
    late = datetime(2026, 12, 3, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    service = notifier()

    held = service.deliver(due_reminder, late)
    before_end = service.deliver_deferred(datetime(2026, 12, 4, 5, 59, tzinfo=UTC))  # 06:59 in Berlin
    at_end = service.deliver_deferred(datetime(2026, 12, 4, 6, 0, tzinfo=UTC))
    again = service.deliver_deferred(datetime(2026, 12, 4, 6, 15, tzinfo=UTC))
    redelivered = service.deliver(due_reminder, datetime(2026, 12, 4, 6, 20, tzinfo=UTC))

    assert held.status is DeliveryStatus.DEFERRED and "2026-12-04T06:00:00+00:00" in held.detail
    assert before_end.delivered == [] and again.delivered == [] and redelivered.status is None
    assert [o.status for o in at_end.delivered] == [DeliveryStatus.SENT]
    assert len(sent()) == 1
    assert [(d["status"], d["at"]) for d in stored(due_reminder)["deliveries"]] == [
        ("deferred", "2026-12-03T22:30:00Z"),
        ("sent", "2026-12-04T06:00:00Z"),
    ]


def test_the_sweep_delivers_deferred_email_when_quiet_hours_end(
    api: ApiClient, due_reminder: Reminder
) -> None:
    put_preferences(
        api, email="mia@example.com", quiet_hours={"start": "00:00", "end": "10:00", "time_zone": "UTC"}
    )
    notifier().deliver(due_reminder, datetime(2026, 12, 3, 9, 30, tzinfo=UTC))
    world = World(Clock(datetime(2026, 12, 3, 9, 30, tzinfo=UTC)))

    report = world.sweep(datetime(2026, 12, 3, 10, 0, tzinfo=UTC), notifications=notifier())

    assert report.emails_sent == 1 and len(sent()) == 1


def test_a_muted_kind_is_recorded_muted_and_never_sent(api: ApiClient, due_reminder: Reminder) -> None:
    put_preferences(api, email="mia@example.com", muted_kinds=["due", "overdue"])

    first = notifier().deliver(due_reminder, datetime(2026, 12, 3, 9, 1, tzinfo=UTC))
    put_preferences_later = put_preferences(api, email="mia@example.com", muted_kinds=[])
    again = notifier().deliver(due_reminder, datetime(2026, 12, 3, 9, 2, tzinfo=UTC))

    assert put_preferences_later["muted_kinds"] == []
    assert first.status is DeliveryStatus.MUTED and again.status is None and sent() == []
    assert [(d["status"], d["detail"]) for d in stored(due_reminder)["deliveries"]] == [
        ("muted", "due reminders are muted")
    ]


def test_no_address_or_the_email_channel_off_sends_nothing(api: ApiClient, due_reminder: Reminder) -> None:
    outcome = notifier().deliver(due_reminder, datetime(2026, 12, 3, 9, 1, tzinfo=UTC))  # no preferences

    assert outcome.status is DeliveryStatus.FAILED and outcome.detail == "no email address on file"
    assert sent() == []


class BusySes:
    """SES refusing for throttling once, then sending through the real (moto) mailer."""

    def __init__(self) -> None:
        self.calls = 0
        self.real = SesMailer(client("sesv2"), get_settings().email_sender)

    def send(self, to: str, email: Email, *, bcc: Any = ()) -> str:
        self.calls += 1
        if self.calls == 1:
            raise MailNotSent("TooManyRequestsException: slow down", retryable=True)
        return self.real.send(to, email, bcc=bcc)


def test_ses_busy_gives_the_claim_back_so_the_retried_event_sends_once(
    api: ApiClient, due_reminder: Reminder
) -> None:
    put_preferences(api, email="mia@example.com")
    service = notifier(BusySes())

    with pytest.raises(MailNotSent):
        service.deliver(due_reminder, datetime(2026, 12, 3, 9, 1, tzinfo=UTC))
    retried = service.deliver(due_reminder, datetime(2026, 12, 3, 9, 2, tzinfo=UTC))
    third = service.deliver(due_reminder, datetime(2026, 12, 3, 9, 3, tzinfo=UTC))

    assert retried.status is DeliveryStatus.SENT and third.status is None and len(sent()) == 1


def test_an_unverified_sender_is_recorded_failed_and_not_retried(
    api: ApiClient, due_reminder: Reminder
) -> None:
    put_preferences(api, email="mia@example.com")
    service = notifier(SesMailer(client("sesv2"), "nobody@unverified.example.org"))

    outcome = service.deliver(due_reminder, datetime(2026, 12, 3, 9, 1, tzinfo=UTC))
    again = service.deliver(due_reminder, datetime(2026, 12, 3, 9, 2, tzinfo=UTC))

    assert outcome.status is DeliveryStatus.FAILED and "MessageRejected" in outcome.detail
    assert again.status is None and sent() == []


def test_a_crash_after_the_claim_never_leads_to_a_second_email(
    api: ApiClient, due_reminder: Reminder
) -> None:
    put_preferences(api, email="mia@example.com")
    assert repository().claim_email(due_reminder, deferred=False)  # the process died right after this

    outcome = notifier().deliver(due_reminder, datetime(2026, 12, 3, 9, 5, tzinfo=UTC))

    assert outcome.status is None and sent() == []


def test_a_role_recipient_reaches_the_users_who_saved_preferences_with_that_role(
    api: ApiClient, due_reminder: Reminder, admin: Caller
) -> None:
    put_preferences(api, caller=admin, email="ada@example.com")
    put_preferences(api, email="mia@example.com")  # a member: not an admin
    failure = due_reminder.model_copy(
        update={
            "reminder_id": "r_admin_failure",
            "kind": ReminderKind.AUTOMATION_FAILURE,
            "recipient": "role:admin",
        }
    )
    client("dynamodb").put_item(TableName=get_settings().table_name, Item=reminder_item(failure))

    outcome = notifier().deliver(failure, datetime(2026, 12, 3, 9, 1, tzinfo=UTC))

    assert outcome.status is DeliveryStatus.SENT
    assert [m.destinations["ToAddresses"] for m in sent()] == [["ada@example.com"]]


def test_acknowledging_keeps_the_email_state(api: ApiClient, due_reminder: Reminder) -> None:
    put_preferences(api, email="mia@example.com")
    notifier().deliver(due_reminder, datetime(2026, 12, 3, 9, 1, tzinfo=UTC))

    acked = api.patch(f"/reminders/{due_reminder.reminder_id}", {"status": "acknowledged"})
    again = notifier().deliver(due_reminder, datetime(2026, 12, 3, 9, 2, tzinfo=UTC))

    assert acked.status == 200, acked.body
    assert [d["status"] for d in acked.body["reminder"]["deliveries"]] == ["sent"]
    assert again.status is None and len(sent()) == 1


# ---- the daily digest ---------------------------------------------------------------------------------
def digest() -> DigestService:
    return DigestService(repository(), SesMailer(client("sesv2"), get_settings().email_sender), NoDirectory())


def test_the_daily_digest_lists_overdue_due_today_and_waiting_once_a_day(api: ApiClient) -> None:
    world = World(Clock(datetime(2026, 11, 1, tzinfo=UTC)))
    created = world.create_test_flow(ANCHOR)
    release = next(t for t in created.tasks if t.template_task_ref == "release")
    world.change(
        release.task_id,
        datetime(2026, 11, 2, tzinfo=UTC),
        status=TaskStatus.WAITING,
        waiting_for="legal sign-off",
        follow_up_at=datetime(2026, 12, 20, tzinfo=UTC),
    )
    prefs = put_preferences(api, email="mia@example.com", digest="daily")
    put_preferences(api, caller=REX, email="rex@example.com")  # rex wants no digest
    assert prefs["next_digest_at"] is not None
    service = digest()

    too_early = service.send_due(datetime(2026, 12, 2, 6, 59, tzinfo=UTC))
    day = service.send_due(datetime(2026, 12, 5, 7, 5, tzinfo=UTC))  # after a long pause: one digest
    same_day = service.send_due(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))

    assert too_early.sent == [] and day.sent == ["acme/mia"] and same_day.sent == []
    [message] = sent()
    assert message.destinations["ToAddresses"] == ["mia@example.com"]
    assert "1 overdue, 0 due today, 1 waiting" in message.subject
    assert "Draft the plan (Launch), due 2026-12-04" in message.body
    assert "Release (Launch), due 2026-12-14 - waiting for legal sign-off" in message.body
    next_day = service.send_due(datetime(2026, 12, 6, 7, 0, tzinfo=UTC))
    assert next_day.sent == ["acme/mia"] and len(sent()) == 2


def test_turning_the_digest_off_takes_the_person_out_of_the_index(api: ApiClient) -> None:
    World(Clock(datetime(2026, 11, 1, tzinfo=UTC))).create_test_flow(ANCHOR)
    put_preferences(api, email="mia@example.com", digest="daily")
    put_preferences(api, email="mia@example.com", digest="off")

    assert digest().send_due(datetime(2026, 12, 5, 7, 5, tzinfo=UTC)).sent == [] and sent() == []
