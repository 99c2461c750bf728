"""The one stack: composes the constructs per concern and holds no resources itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import CfnOutput, Duration, Stack
from constructs import Construct

from workengine.catalog.loader import load_catalog
from workengine.domain.event_triggers import declared_detail_types
from workengine_infra import constants as c
from workengine_infra.api import ApiConstruct
from workengine_infra.data import DataConstruct
from workengine_infra.events import ArtifactUploadRule, EventsConstruct, EventTriggerRule
from workengine_infra.functions import FunctionsConstruct
from workengine_infra.monitoring import MonitoringConstruct
from workengine_infra.notifications import NotificationsConstruct
from workengine_infra.schedules import SchedulesConstruct


@dataclass(frozen=True)
class StackConfig:
    stage: str = c.DEFAULT_STAGE
    install_dependencies: bool = True
    allowed_origins: list[str] = field(default_factory=lambda: ["*"])
    alarm_email: str | None = None
    bedrock_model_id: str | None = None  # set: the assistant worker calls this Bedrock model
    export_worker_concurrency: int = c.DEFAULT_EXPORT_WORKER_CONCURRENCY
    jobs_worker_concurrency: int = c.DEFAULT_JOBS_WORKER_CONCURRENCY
    email_sender: str = "reminders@example.com"  # the From address; verify it in SES (docs/operations.md)
    email_identity: str | None = None  # the verified identity it belongs to; default: the address

    @property
    def prod(self) -> bool:
        return self.stage == c.PROD_STAGE

    def __post_init__(self) -> None:
        if not self.prod:
            return
        if not self.allowed_origins or "*" in self.allowed_origins:
            raise ValueError(
                f"prod needs explicit browser origins: -c {c.CONTEXT_ALLOWED_ORIGINS}=https://app.example.com"
            )
        if not self.alarm_email:
            raise ValueError(f"prod needs an alarm subscriber: -c {c.CONTEXT_ALARM_EMAIL}=ops@example.com")


class WorkEngineStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.config = config
        self.data = DataConstruct(self, "Data", prod=config.prod, allowed_origins=config.allowed_origins)
        self.messaging = EventsConstruct(
            self,
            "Events",
            jobs_visibility_timeout=Duration.seconds(
                c.JOBS_WORKER_TIMEOUT_SECONDS * c.JOBS_VISIBILITY_TIMEOUT_FACTOR
            ),
            sweep_visibility_timeout=Duration.seconds(
                c.SWEEP_WORKER_TIMEOUT_SECONDS * c.JOBS_VISIBILITY_TIMEOUT_FACTOR
            ),
        )
        self.functions = FunctionsConstruct(
            self,
            "Functions",
            data=self.data,
            messaging=self.messaging,
            prod=config.prod,
            install_dependencies=config.install_dependencies,
            bedrock_model_id=config.bedrock_model_id,
            export_worker_concurrency=config.export_worker_concurrency,
            jobs_worker_concurrency=config.jobs_worker_concurrency,
        )
        self.api = ApiConstruct(
            self,
            "Api",
            handler=self.functions.api.function,
            prod=config.prod,
            allowed_origins=config.allowed_origins,
        )
        self.notifications = NotificationsConstruct(
            self,
            "Notifications",
            functions=self.functions,
            event_bus=self.messaging.event_bus,
            user_pool=self.api.user_pool,
            sender=config.email_sender,
            identity=config.email_identity or config.email_sender,
        )
        self.schedules = SchedulesConstruct(self, "Schedules", sweep=self.functions.sweep.function)
        self.artifact_rule = ArtifactUploadRule(
            self,
            "ArtifactUploaded",
            bucket=self.data.bucket,
            handler=self.functions.artifact_uploaded.function,
        )
        self.event_triggers = EventTriggerRule(
            self,
            "EventTriggers",
            bus=self.messaging.event_bus,
            detail_types=declared_detail_types(load_catalog(c.CONTENT_DIR).list()),
            handler=self.functions.event_trigger.function,
            handler_timeout=self.functions.event_trigger.spec.timeout,
        )
        self.monitoring = MonitoringConstruct(
            self,
            "Monitoring",
            functions={name: fn.function for name, fn in self.functions.all.items()},
            dead_letter_queues={
                **self.messaging.dead_letter_queues,
                **self.functions.dead_letter_queues,
                "sweep": self.schedules.dead_letter_queue,
                "artifact-uploaded": self.artifact_rule.dead_letter_queue,
                "event-trigger": self.event_triggers.dead_letter_queue,
                "notifier": self.notifications.dead_letter_queue,
            },
            http_api=self.api.http_api,
            alarm_email=config.alarm_email,
            table=self.data.table,
            timeouts={name: fn.spec.timeout for name, fn in self.functions.all.items()},
            stream_consumers={"stats_aggregator": self.functions.stats_aggregator.function},
        )
        self._outputs()

    def _outputs(self) -> None:
        outputs = {
            "ApiUrl": self.api.url,
            "UserPoolId": self.api.user_pool.user_pool_id,
            "UserPoolClientId": self.api.user_pool_client.user_pool_client_id,
            "BucketName": self.data.bucket.bucket_name,
            "TableName": self.data.table.table_name,
            "EventBusName": self.messaging.event_bus.event_bus_name,
            "JobsQueueUrl": self.messaging.jobs_queue.queue_url,
            "AlarmTopicArn": self.monitoring.topic.topic_arn,
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
