"""Requests per delivered reminder: the notifier handler on a batch of ``ReminderCreated`` events (moto
in-process), the same batch redelivered, email held by quiet hours and sent by the sweep at their end,
and the daily digest. Every AWS request is counted by a botocore ``before-call`` hook on the shared
session, registered before the services create their clients."""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from workengine_tools.bench.figure import BenchConfig, Figure
from workengine_tools.bench.harness import moto_environment, repo_content_dir

HOOK_ID = "workengine-bench-email-requests"
TENANT = "bench"
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
REQUESTS_PER_EMAIL_GOAL = 4  # 3 DynamoDB (context read, claim, record) + 1 SES
QUICK_COUNT = 10
FULL_COUNT = 100


@dataclass
class Requests:
    active: bool = False
    calls: Counter[str] = field(default_factory=Counter)

    def __call__(self, model: Any, **_: Any) -> None:
        if self.active:
            self.calls[model.service_model.service_name] += 1

    @contextlib.contextmanager
    def counting(self) -> Iterator[Counter[str]]:
        self.calls = Counter()
        self.active = True
        try:
            yield self.calls
        finally:
            self.active = False


REQUESTS = Requests()


def _seed(count: int) -> list[dict[str, Any]]:
    """One bundle with ``count`` tasks, one per user; each user saved an address, users of odd number are
    in quiet hours at ``NOW``; a ``due`` reminder per task. Returns the reminders (JSON)."""
    from workengine.composition import container
    from workengine.dal.items import bundle_item, reminder_item, task_item
    from workengine.domain.entities import Reminder
    from workengine.domain.enums import ReminderKind
    from workengine.domain.preferences import Digest, NotificationPreferences, QuietHours
    from workengine_tools.bench.seeding import bench_bundle, bench_task

    settings = container().settings
    dynamodb = container().client("dynamodb")
    container().client("sesv2").create_email_identity(EmailIdentity=settings.email_sender)
    bundle = bench_bundle("b_email", TENANT, "Email bench", date(2026, 3, 12), NOW - timedelta(days=30))
    dynamodb.put_item(TableName=settings.table_name, Item=bundle_item(bundle))
    repository = container().notification_repository
    reminders = []
    quiet = QuietHours(start="08:00", end="10:00", time_zone="UTC")
    for number in range(count):
        user = f"user{number}"
        task = bench_task(number, f"t{number}", bundle.bundle_id, TENANT, steps=5, assignee=user,
                          written=NOW - timedelta(days=30), due_date=date(2026, 3, 9))  # fmt: skip
        dynamodb.put_item(TableName=settings.table_name, Item=task_item(task))
        preferences = NotificationPreferences(
            tenant_id=TENANT, user_id=user, email=f"{user}@example.com", digest=Digest.DAILY,
            quiet_hours=quiet if number % 2 else None, next_digest_at=NOW - timedelta(hours=1), version=1,
        )  # fmt: skip
        repository.save_preferences(preferences, 0)
        reminder = Reminder(
            reminder_id=f"r{number}", tenant_id=TENANT, bundle_id=bundle.bundle_id, task_id=task.task_id,
            kind=ReminderKind.OVERDUE, fire_at=NOW, recipient=user, message="Task is overdue", created_at=NOW,
        )  # fmt: skip
        dynamodb.put_item(TableName=settings.table_name, Item=reminder_item(reminder))
        reminders.append(reminder.model_dump(mode="json"))
    return reminders


def _event(reminders: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": r["reminder_id"],
                "receiptHandle": "h",
                "body": json.dumps({"detail-type": "ReminderCreated", "source": "workengine", "detail": r}),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:notifier",
                "awsRegion": "us-east-1",
            }
            for r in reminders
        ]
    }


def _row(path: str, emails: int, handled: int, calls: Counter[str]) -> dict[str, Any]:
    total = sum(calls.values())
    return {
        "path": path,
        "reminders": handled,
        "emails sent": emails,
        "DynamoDB requests": calls["dynamodb"],
        "SES requests": calls["sesv2"],
        "requests per reminder": round(total / handled, 2) if handled else 0,
    }


def measure(config: BenchConfig, title: str = "Requests per delivered reminder (email)") -> Figure:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from workengine.composition import container
    from workengine.dal import aws
    from workengine.handlers.notifier import lambda_handler
    from workengine_tools.local.events import LocalLambdaContext

    count = QUICK_COUNT if config.quick else FULL_COUNT
    aws.session().events.register("before-call", REQUESTS, unique_id=HOOK_ID)
    figure = Figure(
        key="email",
        title=title,
        columns=[
            "path",
            "reminders",
            "emails sent",
            "DynamoDB requests",
            "SES requests",
            "requests per reminder",
        ],
        goal=f"<= {REQUESTS_PER_EMAIL_GOAL} requests per reminder emailed at once; redelivery sends nothing",
    )
    from workengine.observability import logger

    sink = io.StringIO()  # Powertools prints EMF metrics to stdout
    logger.setLevel("WARNING")  # one INFO line per email would bury the table
    with moto_environment(repo_content_dir()), contextlib.redirect_stdout(sink):
        reminders = _seed(count)
        outbox = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
        immediate = [r for r in reminders if int(r["recipient"].removeprefix("user")) % 2 == 0]
        quiet = [r for r in reminders if r not in immediate]
        # the notifier runs "now" in wall-clock time; quiet hours are judged at the delivery time, so
        # the quiet half is delivered through the service at NOW (the handler would use the real clock)
        with REQUESTS.counting() as calls:
            result = lambda_handler(_event(immediate), LocalLambdaContext())
        assert not result["batchItemFailures"], result
        figure.rows.append(_row("event: sent at once", len(outbox), len(immediate), calls))
        before = len(outbox)
        with REQUESTS.counting() as calls:
            lambda_handler(_event(immediate), LocalLambdaContext())
        figure.rows.append(_row("event redelivered", len(outbox) - before, len(immediate), calls))
        notifications = container().notifications
        from workengine.domain.entities import Reminder

        with REQUESTS.counting() as calls:
            for reminder in quiet:
                notifications.deliver(Reminder.model_validate(reminder), NOW)
        figure.rows.append(_row("event in quiet hours: deferred", 0, len(quiet), calls))
        before = len(outbox)
        with REQUESTS.counting() as calls:
            notifications.deliver_deferred(NOW.replace(hour=10))
        figure.rows.append(_row("sweep at the end of quiet hours", len(outbox) - before, len(quiet), calls))
        before = len(outbox)
        with REQUESTS.counting() as calls:
            report = container().digests.send_due(NOW.replace(hour=10))
        figure.rows.append(
            _row("sweep: daily digest (per person)", len(outbox) - before, len(report.sent), calls)
        )
    at_once = figure.rows[0]
    redelivered = figure.rows[1]
    figure.goal_met = (
        at_once["emails sent"] == len(immediate)
        and at_once["requests per reminder"] <= REQUESTS_PER_EMAIL_GOAL
        and redelivered["emails sent"] == 0
    )
    figure.notes.append(
        f"{'PASS' if figure.goal_met else 'MISS'}: {at_once['requests per reminder']} requests per reminder "
        f"emailed at once (goal <= {REQUESTS_PER_EMAIL_GOAL}); a redelivered batch sent "
        f"{redelivered['emails sent']} emails"
    )
    figure.notes.append(
        "moto in-process; one task, preferences and reminder per person; half of them in quiet hours at "
        "the delivery time; the digest lists each person's overdue task"
    )
    return figure
