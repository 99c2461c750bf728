"""Local wiring of event-triggered bundles on the moto backend.

In AWS an EventBridge rule on the project's bus (the detail types templates declare, any source but the
engine's own) feeds an SQS queue with a dead-letter queue, and the queue triggers the ``event_trigger``
Lambda. Locally the same rule feeds the same kind of queue (redrive policy included), and a loop drains
it into the very same handler.
"""

from __future__ import annotations

import json
import threading

from workengine.dal.aws import client
from workengine.domain.event_triggers import trigger_rule_pattern
from workengine.settings import Settings
from workengine_tools.local.assistant_backend import drain_batch, drain_loop, queue_url

TRIGGER_RULE = "workengine-event-triggers"
MAX_RECEIVES = 3  # = the stack's EVENT_TRIGGER_MAX_RECEIVE_COUNT: then the redrive policy parks it
VISIBILITY_SECONDS = 2  # a failed event is retried within seconds locally (AWS: the queue's timeout)


def dead_letter_queue_name(settings: Settings) -> str:
    return f"{settings.event_triggers_queue_name}-dlq"


def provision_event_triggers(settings: Settings, detail_types: list[str]) -> None:
    """The trigger queue (with its dead-letter queue) and the rule on the project's bus feeding it."""
    sqs = client("sqs")
    dlq_url = sqs.create_queue(QueueName=dead_letter_queue_name(settings))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}
    url = sqs.create_queue(
        QueueName=settings.event_triggers_queue_name,
        Attributes={"VisibilityTimeout": str(VISIBILITY_SECONDS), "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    update_trigger_rule(settings, detail_types, queue_arn=arn)


def update_trigger_rule(settings: Settings, detail_types: list[str], *, queue_arn: str | None = None) -> None:
    """Point the rule at the detail types the catalog declares now (the server reloads content/)."""
    events = client("events")
    if not detail_types:  # EventBridge refuses an empty list; no template listens, so no rule
        return
    events.put_rule(
        Name=TRIGGER_RULE,
        EventBusName=settings.event_bus_name,
        EventPattern=json.dumps(trigger_rule_pattern(detail_types)),
    )
    if queue_arn is None:
        url = queue_url(settings.event_triggers_queue_name)
        attributes = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        queue_arn = attributes["Attributes"]["QueueArn"]
    events.put_targets(
        Rule=TRIGGER_RULE,
        EventBusName=settings.event_bus_name,
        Targets=[{"Id": "trigger-queue", "Arn": queue_arn}],
    )


def drain_event_triggers_once(settings: Settings, wait_seconds: int = 0) -> int:
    """Delivers waiting events to ``event_trigger.lambda_handler``; a rejected one returns to the queue
    and, after ``MAX_RECEIVES`` receives, the redrive policy moves it to the dead-letter queue."""
    from workengine.handlers.event_trigger import lambda_handler

    url = queue_url(settings.event_triggers_queue_name)
    return drain_batch(url, lambda_handler, wait_seconds, drop_after=None)


def event_triggers_loop(settings: Settings, stop: threading.Event) -> None:
    """Background loop: the trigger queue → ``event_trigger`` handler."""
    drain_loop(settings, stop, drain_event_triggers_once)
