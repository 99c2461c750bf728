"""Local reminder email on the moto backend: the sender identity is verified in moto's SES at start-up,
and a rule on the project bus sends ``ReminderCreated`` events to a local queue that a loop drains into
the notifier handler (in AWS: rule → SQS with a DLQ → the notifier Lambda). Sent mail stays in moto's
SES backend (tests read it there; over the local server, from moto's ``/moto-api/data.json``)."""

from __future__ import annotations

import json
import threading

from workengine.dal.aws import client
from workengine.dal.reminder_publisher import reminder_created_pattern
from workengine.settings import Settings
from workengine_tools.local.assistant_backend import drain_batch, drain_loop, queue_url

NOTIFIER_RULE = "workengine-reminder-created"


def provision_notifier(settings: Settings) -> None:
    client("sesv2").create_email_identity(EmailIdentity=settings.email_sender)
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=settings.notifier_queue_name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = client("events")
    events.put_rule(
        Name=NOTIFIER_RULE,
        EventBusName=settings.event_bus_name,
        EventPattern=json.dumps(reminder_created_pattern()),
    )
    events.put_targets(
        Rule=NOTIFIER_RULE,
        EventBusName=settings.event_bus_name,
        Targets=[{"Id": "notifier-queue", "Arn": arn}],
    )


def drain_notifier_once(settings: Settings, wait_seconds: int = 0) -> int:
    """Delivers waiting ``ReminderCreated`` events to ``notifier.lambda_handler`` as one batch (see
    ``drain_batch``)."""
    from workengine.handlers.notifier import lambda_handler

    return drain_batch(queue_url(settings.notifier_queue_name), lambda_handler, wait_seconds)


def notifier_loop(settings: Settings, stop: threading.Event) -> None:
    """Background loop: ReminderCreated events → the notifier handler."""
    drain_loop(settings, stop, drain_notifier_once)
