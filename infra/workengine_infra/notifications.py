"""Reminder email: ``ReminderCreated`` events on the project bus → a queue (with its DLQ) → the notifier
function, which sends through SES from the configured identity only; the sweep sends email held back by
quiet hours and the daily digests with the same grants. Verifying the sender: docs/operations.md."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from workengine.dal.reminder_publisher import reminder_created_pattern
from workengine_infra import constants as c
from workengine_infra.events import dead_letter_queue
from workengine_infra.functions import NOTIFIER, FunctionsConstruct, env_name


class NotificationsConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: FunctionsConstruct,
        event_bus: events.IEventBus,
        user_pool: cognito.IUserPool,
        sender: str,
        identity: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = dead_letter_queue(
            self, "NotifierDeadLetterQueue", target_of="the notifier queue"
        )
        self.queue = sqs.Queue(
            self,
            "NotifierQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(
                c.NOTIFIER_TIMEOUT_SECONDS * c.JOBS_VISIBILITY_TIMEOUT_FACTOR
            ),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=c.NOTIFIER_MAX_RECEIVE_COUNT
            ),
        )
        pattern = reminder_created_pattern()
        self.rule = events.Rule(
            self,
            "ReminderCreated",
            event_bus=event_bus,
            description="Reminders to email",
            event_pattern=events.EventPattern(source=pattern["source"], detail_type=pattern["detail-type"]),
            targets=[targets.SqsQueue(self.queue)],
        )
        environment = {
            env_name("email_sender"): sender,
            env_name("user_pool_id"): user_pool.user_pool_id,
        }
        self.notifier = functions.add("notifier", NOTIFIER, environment)
        self.notifier.function.add_event_source(
            sources.SqsEventSource(
                self.queue, batch_size=c.NOTIFIER_BATCH_SIZE, report_batch_item_failures=True
            )
        )
        for name, value in environment.items():
            functions.sweep.function.add_environment(name, value)
        stack = Stack.of(self)
        identity_arn = stack.format_arn(service="ses", resource="identity", resource_name=identity)
        for fn in (self.notifier, functions.sweep):
            fn.allow(("ses:SendEmail",), [identity_arn])
            # addresses of users whose preferences name none (the Cognito user's email attribute)
            fn.allow(("cognito-idp:ListUsers",), [user_pool.user_pool_arn])
