"""Local reminder email on the moto backend: the sender identity is verified in moto's SES at start-up,
and a rule on the project bus sends ``ReminderCreated`` events to a local queue that a loop drains into
the notifier handler (in AWS: rule → SQS with a DLQ → the notifier Lambda). Sent mail stays in moto's
SES backend (tests read it there; over the local server, from moto's ``/moto-api/data.json``)."""

from __future__ import annotations

import json

from workengine.dal.aws import client
from workengine.dal.reminder_publisher import reminder_created_pattern
from workengine.settings import Settings

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
