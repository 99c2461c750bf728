"""Events and messaging: the reminders event bus, the assistant-job queue with its DLQ, the rule that
turns S3 "Object Created" events into artifact-uploaded invocations, and the rule that turns the events
templates are triggered by into bundles."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from workengine.domain.event_triggers import ENGINE_EVENT_SOURCE
from workengine_infra import constants as c


def dead_letter_queue(scope: Construct, construct_id: str, *, target_of: str) -> sqs.Queue:
    """An encrypted, TLS-only queue that holds what an asynchronous target gave up on."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(c.DLQ_RETENTION_DAYS),
    )
    Validations.of(queue).acknowledge(
        Acknowledgment(
            id="AwsSolutions-SQS3",
            reason=f"This queue is itself the dead-letter queue of {target_of}; a DLQ of a DLQ adds nothing.",
        )
    )
    return queue


class EventsConstruct(Construct):
    """The custom bus the sweep publishes reminders to, and the assistant-job queue."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        jobs_visibility_timeout: Duration,
        sweep_visibility_timeout: Duration,
    ) -> None:
        super().__init__(scope, construct_id)
        self.event_bus = events.EventBus(self, "ReminderBus", description="Work engine reminders and events")
        self.jobs_dlq = sqs.Queue(
            self,
            "JobsDeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(c.DLQ_RETENTION_DAYS),
        )
        self.jobs_queue = sqs.Queue(
            self,
            "JobsQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=jobs_visibility_timeout,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.jobs_dlq, max_receive_count=c.JOBS_MAX_RECEIVE_COUNT
            ),
        )
        # Sweep work: one message per due-index shard from the schedule, and continuations from workers
        # that ran low on time. A message failing past the receive limit parks in the DLQ (alarmed); the
        # next scheduled sweep covers its shard again from the index anyway.
        self.sweep_dlq = dead_letter_queue(self, "SweepWorkDeadLetterQueue", target_of="the sweep queue")
        self.sweep_queue = sqs.Queue(
            self,
            "SweepWorkQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=sweep_visibility_timeout,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.sweep_dlq, max_receive_count=c.SWEEP_WORK_MAX_RECEIVE_COUNT
            ),
        )
        self.dead_letter_queues: dict[str, sqs.IQueue] = {"jobs": self.jobs_dlq, "sweep-work": self.sweep_dlq}


class ArtifactUploadRule(Construct):
    """S3 "Object Created" under the artifacts prefix of our bucket (default bus) → artifact-uploaded."""

    def __init__(
        self, scope: Construct, construct_id: str, *, bucket: s3.IBucket, handler: lambda_.IFunction
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue", target_of="the upload rule")
        self.rule = events.Rule(
            self,
            "Rule",
            description="Artifact uploaded: mark the artifact uploaded and check the task's proof",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [bucket.bucket_name]},
                    "object": {"key": [{"prefix": c.ARTIFACTS_PREFIX}]},
                },
            ),
            targets=[
                targets.LambdaFunction(
                    handler,
                    dead_letter_queue=self.dead_letter_queue,
                    retry_attempts=c.ASYNC_RETRY_ATTEMPTS,
                    max_event_age=Duration.hours(c.ASYNC_MAX_EVENT_AGE_HOURS),
                )
            ],
        )


class EventTriggerRule(Construct):
    """Events that start bundles: a rule on the project's bus matching the detail types the catalog's
    templates declare (computed at synth) from any source but the engine's own → an SQS queue → the
    trigger function (partial batch failures). A record that keeps failing (a detail that does not fit,
    or an outage) moves to the dead-letter queue after ``EVENT_TRIGGER_MAX_RECEIVE_COUNT`` receives; the
    rule's own delivery failures land in the same queue. No template declaring an event: no rule."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.IEventBus,
        detail_types: list[str],
        handler: lambda_.IFunction,
        handler_timeout: Duration,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = dead_letter_queue(
            self, "DeadLetterQueue", target_of="the event-trigger queue and rule"
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(
                handler_timeout.to_seconds() * c.JOBS_VISIBILITY_TIMEOUT_FACTOR
            ),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=c.EVENT_TRIGGER_MAX_RECEIVE_COUNT
            ),
        )
        self.rule: events.Rule | None = None
        if detail_types:
            self.rule = events.Rule(
                self,
                "Rule",
                description="Events templates are triggered by: start their bundles",
                event_bus=bus,
                event_pattern=events.EventPattern(
                    detail_type=sorted(detail_types),
                    source=events.Match.anything_but(ENGINE_EVENT_SOURCE),
                ),
                targets=[targets.SqsQueue(self.queue, dead_letter_queue=self.dead_letter_queue)],
            )
        handler.add_event_source(
            sources.SqsEventSource(
                self.queue, batch_size=c.EVENT_TRIGGER_BATCH_SIZE, report_batch_item_failures=True
            )
        )
