"""Local wiring of artifact uploads and assistant jobs on the moto backend.

In AWS an EventBridge rule on the default bus sends S3 "Object Created" events straight to the
``artifact_uploaded`` Lambda, and the jobs queue triggers the ``jobs_worker`` Lambda. Locally moto
delivers the S3 notification through the same kind of rule to an SQS queue (moto has no Lambda
targets here), and the loops below drain both queues into the very same handlers.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from workengine.dal.aws import client
from workengine.observability import logger
from workengine.settings import Settings
from workengine_tools.local.events import LocalLambdaContext

S3_EVENTS_RULE = "workengine-artifact-uploaded"
MAX_LOCAL_RECEIVES = 5  # a message failing this often is dropped (AWS: the queue's redrive policy)


def provision_artifact_events_and_jobs(settings: Settings) -> None:
    """Jobs queue, S3 → EventBridge notifications, and a default-bus rule sending the bucket's
    "Object Created" events to the local S3-events queue."""
    sqs = client("sqs")
    sqs.create_queue(QueueName=settings.jobs_queue_name, Attributes={"VisibilityTimeout": "30"})
    events_url = sqs.create_queue(QueueName=settings.s3_events_queue_name)["QueueUrl"]
    events_arn = sqs.get_queue_attributes(QueueUrl=events_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    client("s3").put_bucket_notification_configuration(
        Bucket=settings.bucket_name, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    events = client("events")
    events.put_rule(
        Name=S3_EVENTS_RULE, EventPattern=json.dumps(object_created_pattern(settings.bucket_name))
    )
    events.put_targets(Rule=S3_EVENTS_RULE, Targets=[{"Id": "s3-events-queue", "Arn": events_arn}])


def object_created_pattern(bucket: str) -> dict[str, Any]:
    """The event pattern of the upload rule (the CDK stack uses the same one)."""
    return {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": [bucket]}}}


def queue_url(name: str) -> str:
    return str(client("sqs").get_queue_url(QueueName=name)["QueueUrl"])


def _receive(queue_url: str, wait_seconds: int) -> list[dict[str, Any]]:
    response = client("sqs").receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        WaitTimeSeconds=wait_seconds,
        AttributeNames=["All"],
    )
    messages: list[dict[str, Any]] = response.get("Messages", [])
    return messages


def drain_s3_events_once(settings: Settings, wait_seconds: int = 0) -> int:
    """Delivers waiting S3 events to ``artifact_uploaded.lambda_handler``; returns how many."""
    from workengine.handlers.artifact_uploaded import lambda_handler

    url = queue_url(settings.s3_events_queue_name)
    messages = _receive(url, wait_seconds)
    for message in messages:
        try:
            lambda_handler(json.loads(message["Body"]), LocalLambdaContext())
        except Exception:
            logger.exception("local S3 event delivery failed")
            if int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1")) < MAX_LOCAL_RECEIVES:
                continue
        client("sqs").delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return len(messages)


def sqs_event(
    messages: list[dict[str, Any]], queue_arn: str = "arn:aws:sqs:local:000000000000:jobs"
) -> dict[str, Any]:
    """The event the SQS → Lambda integration sends for ``messages`` (from ``ReceiveMessage``)."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
    }


def drain_batch(
    queue_url: str,
    handler: Any,
    wait_seconds: int = 0,
    *,
    drop_after: int | None = MAX_LOCAL_RECEIVES,
) -> int:
    """Delivers waiting messages of ``queue_url`` to an SQS-triggered ``handler`` as one batch and
    deletes the records it did not report as failed; returns how many were received. A failed record
    goes back to the queue; with ``drop_after`` it is deleted after that many receives, without it the
    queue's own redrive policy moves it to its dead-letter queue (as in AWS)."""
    messages = _receive(queue_url, wait_seconds)
    if not messages:
        return 0
    try:
        response = handler(sqs_event(messages), LocalLambdaContext())
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
    except Exception:  # every record failed (Powertools raises then): all go back, as SQS would do
        logger.exception("local queue batch failed")
        failed = {message["MessageId"] for message in messages}
    for message in messages:
        receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        if message["MessageId"] not in failed or (drop_after is not None and receives >= drop_after):
            client("sqs").delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return len(messages)


def drain_jobs_once(settings: Settings, wait_seconds: int = 0) -> int:
    """Delivers waiting job messages to ``jobs_worker.lambda_handler`` (see ``drain_batch``)."""
    from workengine.handlers.jobs_worker import lambda_handler

    return drain_batch(queue_url(settings.jobs_queue_name), lambda_handler, wait_seconds)


# Short polls: moto's server answers nothing else while a long poll (WaitTimeSeconds) waits, so a long
# poll here stalled every other request to the local backend by up to that long (minutes for a seeding).
IDLE_POLL_SECONDS = 0.5


def drain_loop(settings: Settings, stop: threading.Event, drain: Any) -> None:
    """Never dies: a failure of one drain (a poisoned record, the backend away) is logged, and the loop
    goes on with the next, as the SQS integration keeps polling in AWS."""
    while not stop.is_set():
        try:
            if drain(settings, wait_seconds=0) == 0:
                stop.wait(IDLE_POLL_SECONDS)
        except Exception:
            logger.exception("local queue drain failed")
            stop.wait(1.0)


def s3_events_loop(settings: Settings, stop: threading.Event) -> None:
    """Background loop: S3 upload notifications → ``artifact_uploaded`` handler."""
    drain_loop(settings, stop, drain_s3_events_once)


def jobs_loop(settings: Settings, stop: threading.Event) -> None:
    """Background loop: jobs queue → ``jobs_worker`` handler."""
    drain_loop(settings, stop, drain_jobs_once)
