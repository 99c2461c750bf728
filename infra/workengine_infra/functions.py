"""Functions: the project's Lambda functions, one per entry module and each tagged `workengine:function`,
sharing one asset, each with its own role, log group and only the grants it needs (explicit statements:
exact actions, resources scoped to our table, indexes, object prefixes, queue, bus, secret and function)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Tags, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from workengine.dal import table as t
from workengine_infra import constants as c
from workengine_infra.bundling import function_code
from workengine_infra.data import DataConstruct
from workengine_infra.events import EventsConstruct, dead_letter_queue

XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


# Cross-region inference profiles are named <geography>.<model id>; many current models are served
# only through one.
INFERENCE_PROFILE_GEOGRAPHIES = ("us", "eu", "apac", "us-gov", "global", "jp", "au", "ca")


def bedrock_model_arns(stack: Stack, model_id: str) -> list[str]:
    """What ``bedrock:InvokeModel`` must allow for ``model_id``: a foundation model in this region; an
    inference profile (``eu.anthropic...``) plus the foundation model in the regions it routes to; an ARN
    (an application inference profile or a provisioned model) as given."""
    if model_id.startswith("arn:"):
        return [model_id]
    geography, _, base_model = model_id.partition(".")
    if geography in INFERENCE_PROFILE_GEOGRAPHIES and base_model:
        return [
            stack.format_arn(service="bedrock", resource="inference-profile", resource_name=model_id),
            stack.format_arn(
                service="bedrock",
                region="*",
                account="",
                resource="foundation-model",
                resource_name=base_model,
            ),
        ]
    return [
        stack.format_arn(service="bedrock", account="", resource="foundation-model", resource_name=model_id)
    ]


def env_name(settings_field: str) -> str:
    """The environment variable ``workengine.settings.Settings`` reads ``settings_field`` from."""
    return f"WORKENGINE_{settings_field.upper()}"


@dataclass(frozen=True)
class TableAccess:
    """What a function calls on the table: ``actions`` on the table itself (a TransactWriteItems needs the
    action of each of its parts) and Query on the named ``indexes``. tests/infra/test_iam_matches_calls.py
    derives both from a recorded run of the handler and fails on any difference."""

    actions: tuple[str, ...] = ()
    indexes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FunctionSpec:
    construct_id: str
    handler: str
    description: str
    memory_mb: int
    timeout: Duration
    table: TableAccess = TableAccess()


API = FunctionSpec(
    "Api",
    c.API_HANDLER,
    "HTTP API (all routes)",
    1024,
    Duration.seconds(29),
    TableAccess(
        (
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            # Powertools idempotency deletes its record when the create fails
            "dynamodb:DeleteItem",
            # a bundle too large for one transaction is removed again when its create fails
            "dynamodb:BatchWriteItem",
        ),
        # POST /showcases/{name} runs the reminder sweep on the story's clock: it reads the due index
        (t.GSI_ASSIGNEE, t.GSI_BUNDLES, t.GSI_ENTITY, t.GSI_TEMPLATE, t.GSI_DUE),
    ),
)
SWEEP = FunctionSpec(
    "Sweep",
    c.SWEEP_HANDLER,
    "Reminder sweep, recurring schedules, email after quiet hours, daily digests",
    512,
    Duration.minutes(5),
    TableAccess(
        (
            # the due tasks themselves are swept by the workers (SWEEP_WORKER)
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:BatchWriteItem",  # a failed oversized occurrence is removed again
            # email held by quiet hours (reminder, task, bundle, preferences; the deferred item goes)
            "dynamodb:GetItem",
            # the daily condition checks read a bundle with its tasks (a partition Query); reached since
            # the IAM scenario sweeps a second day
            "dynamodb:Query",
            "dynamodb:BatchGetItem",
            "dynamodb:DeleteItem",
        ),
        (t.GSI_DUE, t.GSI_ASSIGNEE),  # the digest lists a person's tasks
    ),
)
NOTIFIER = FunctionSpec(
    "Notifier",
    c.NOTIFIER_HANDLER,
    "Reminder email (SQS <- ReminderCreated)",
    256,
    Duration.seconds(c.NOTIFIER_TIMEOUT_SECONDS),
    # task, bundle and preferences; the claim and record; a deferred email; a role's users (Query)
    TableAccess(("dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:Query")),
)
SWEEP_WORKER = FunctionSpec(
    "SweepWorker",
    c.SWEEP_WORKER_HANDLER,
    "Reminder sweep worker: one due-index shard per message (SQS)",
    512,
    Duration.seconds(c.SWEEP_WORKER_TIMEOUT_SECONDS),
    TableAccess(("dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"), (t.GSI_DUE,)),
)
JOBS_WORKER = FunctionSpec(
    "JobsWorker",
    c.JOBS_WORKER_HANDLER,
    "Assistant-job worker (SQS)",
    512,
    Duration.seconds(c.JOBS_WORKER_TIMEOUT_SECONDS),
    TableAccess(("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem")),
)
ARTIFACT_UPLOADED = FunctionSpec(
    "ArtifactUploaded",
    c.ARTIFACT_UPLOADED_HANDLER,
    "Artifact uploaded (S3 Object Created)",
    # The check hashes the object (SHA-256) when S3 holds no full-object checksum: up to 1 GB streamed.
    512,
    Duration.seconds(120),
    TableAccess(("dynamodb:GetItem", "dynamodb:PutItem")),
)
EXPORT_WORKER = FunctionSpec(
    "ExportWorker",
    c.EXPORT_WORKER_HANDLER,
    "Tenant export runner",
    1024,
    Duration.minutes(15),
    TableAccess(("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"), (t.GSI_BUNDLES,)),
)
EVENT_TRIGGER = FunctionSpec(
    "EventTrigger",
    c.EVENT_TRIGGER_HANDLER,
    "Event-triggered bundles (SQS, fed by the trigger rule)",
    512,
    Duration.seconds(c.EVENT_TRIGGER_TIMEOUT_SECONDS),
    TableAccess(
        (
            "dynamodb:PutItem",
            "dynamodb:BatchWriteItem",  # a bundle too large for one transaction is removed on failure
        )
    ),
)
STATS_AGGREGATOR = FunctionSpec(
    "StatsAggregator",
    c.STATS_AGGREGATOR_HANDLER,
    "Template statistics from the table's stream",
    256,
    Duration.seconds(c.STATS_AGGREGATOR_TIMEOUT_SECONDS),
    # a task's bundle (its template version); the counted-change marker and the counter ADDs
    TableAccess(("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")),
)


class WorkEngineFunction(Construct):
    """A Python 3.12 arm64 function with JSON logs into its own log group, active tracing, and a role that
    starts with nothing but writing to that log group."""

    def __init__(
        self,
        scope: Construct,
        spec: FunctionSpec,
        *,
        code: lambda_.Code,
        environment: dict[str, str],
        log_retention: logs.RetentionDays,
        removal: RemovalPolicy,
        dead_letter: sqs.IQueue | None = None,
        reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, spec.construct_id)
        self.spec = spec
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention, removal_policy=removal)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{c.SERVICE_NAME} {spec.description}",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=f"{c.SERVICE_NAME}: {spec.description}",
            runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=lambda_.Architecture.ARM_64,
            handler=spec.handler,
            code=code,
            role=self.role,
            memory_size=spec.memory_mb,
            timeout=spec.timeout,
            environment=environment,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            log_group=self.log_group,
            dead_letter_queue=dead_letter,
            reserved_concurrent_executions=reserved_concurrency,
            retry_attempts=c.ASYNC_RETRY_ATTEMPTS if dead_letter is not None else None,
            max_event_age=Duration.hours(c.ASYNC_MAX_EVENT_AGE_HOURS) if dead_letter is not None else None,
        )
        # Marks the project's own functions (CDK adds provider functions of its own, e.g. the dev buckets'
        # auto-delete): operators filter by it, and the tests tell the two apart by it.
        Tags.of(self.function).add(c.FUNCTION_TAG_KEY, spec.construct_id)
        Validations.of(self.function).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason="Python 3.12: the runtime the project targets; bundled dependencies are built for it.",
            )
        )
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) have no resource-level "
                "permissions; the wildcard resource is on those two actions only.",
            )
        )

    def allow(self, actions: tuple[str, ...] | list[str], resources: list[str]) -> None:
        self.role.add_to_principal_policy(iam.PolicyStatement(actions=list(actions), resources=resources))


class FunctionsConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: DataConstruct,
        messaging: EventsConstruct,
        prod: bool,
        install_dependencies: bool,
        bedrock_model_id: str | None,
        export_worker_concurrency: int = c.DEFAULT_EXPORT_WORKER_CONCURRENCY,
        jobs_worker_concurrency: int = c.DEFAULT_JOBS_WORKER_CONCURRENCY,
    ) -> None:
        super().__init__(scope, construct_id)
        self._data = data
        removal = RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY
        retention = logs.RetentionDays.THREE_MONTHS if prod else logs.RetentionDays.TWO_WEEKS
        code = function_code(install_dependencies=install_dependencies)
        common_env = {
            "POWERTOOLS_SERVICE_NAME": c.SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": c.METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
            env_name("table_name"): data.table.table_name,
            env_name("bucket_name"): data.bucket.bucket_name,
            env_name("event_bus_name"): messaging.event_bus.event_bus_name,
        }

        def make(
            spec: FunctionSpec, extra_env: dict[str, str] | None = None, **kwargs: Any
        ) -> WorkEngineFunction:
            return WorkEngineFunction(
                self,
                spec,
                code=code,
                environment={**common_env, **(extra_env or {})},
                log_retention=retention,
                removal=removal,
                **kwargs,
            )

        self._make = make

        # Export runs asynchronously (the API invokes it with InvocationType=Event); failures land here.
        self.export_dlq = dead_letter_queue(self, "ExportDeadLetterQueue", target_of="the export worker")
        # Reserved concurrency bounds the 15-minute, 1 GB export runs (and the table reads they make).
        # The export worker signs each manifest with a key derived from the pagination secret.
        self.export_worker = make(
            EXPORT_WORKER,
            {env_name("pagination_secret_arn"): data.pagination_secret.secret_arn},
            dead_letter=self.export_dlq,
            reserved_concurrency=export_worker_concurrency,
        )
        self.api = make(
            API,
            {
                env_name("jobs_queue_url"): messaging.jobs_queue.queue_url,
                env_name("export_function_name"): self.export_worker.function.function_name,
                env_name("pagination_secret_arn"): data.pagination_secret.secret_arn,
            },
        )
        # The schedule and the S3 rule invoke these asynchronously: the rule's DLQ catches only delivery
        # failures, so an invocation that fails after Lambda's own retries lands in the function's DLQ.
        self.sweep_dlq = dead_letter_queue(self, "SweepDeadLetterQueue", target_of="the sweep function")
        sweep_env = {
            env_name("sweep_rate_minutes"): str(c.SWEEP_RATE_MINUTES),
            env_name("sweep_queue_url"): messaging.sweep_queue.queue_url,
        }
        self.sweep = make(SWEEP, sweep_env, dead_letter=self.sweep_dlq)
        # Fed by SQS (not invoked asynchronously): failures are retried by the queue, then its DLQ.
        self.sweep_worker = make(SWEEP_WORKER, sweep_env)
        assistant_env = {env_name("jobs_queue_url"): messaging.jobs_queue.queue_url}
        if bedrock_model_id:
            assistant_env |= {
                env_name("assistant_provider"): "bedrock",
                env_name("bedrock_model_id"): bedrock_model_id,
            }
        # Reserved concurrency bounds the model calls (cost, Bedrock quotas) the queue can drive at once.
        self.jobs_worker = make(JOBS_WORKER, assistant_env, reserved_concurrency=jobs_worker_concurrency)
        self.artifact_uploaded_dlq = dead_letter_queue(
            self, "ArtifactUploadedDeadLetterQueue", target_of="the artifact-uploaded function"
        )
        self.artifact_uploaded = make(ARTIFACT_UPLOADED, dead_letter=self.artifact_uploaded_dlq)
        # Fed by the trigger queue (EventTriggerRule): failures are retried by the queue, then its DLQ.
        self.event_trigger = make(EVENT_TRIGGER)
        self.stats_dlq = dead_letter_queue(
            self, "StatsAggregatorDeadLetterQueue", target_of="the statistics aggregator's stream mapping"
        )
        self.stats_aggregator = make(STATS_AGGREGATOR)
        self.all: dict[str, WorkEngineFunction] = {
            "api": self.api,
            "sweep": self.sweep,
            "sweep_worker": self.sweep_worker,
            "jobs_worker": self.jobs_worker,
            "artifact_uploaded": self.artifact_uploaded,
            "export_worker": self.export_worker,
            "event_trigger": self.event_trigger,
            "stats_aggregator": self.stats_aggregator,
        }
        self.dead_letter_queues: dict[str, sqs.IQueue] = {
            "export": self.export_dlq,
            "sweep-function": self.sweep_dlq,
            "artifact-uploaded-function": self.artifact_uploaded_dlq,
            "stats-aggregator-stream": self.stats_dlq,
        }

        # ---- grants ----------------------------------------------------------------------------------
        for fn in self.all.values():
            self._table(fn, fn.spec.table)
        artifacts, exports = c.ARTIFACTS_PREFIX, c.EXPORTS_PREFIX
        # Presigned URLs carry the signer's permissions: upload and download artifacts, download exports.
        # The bucket is versioned: downloads and archive tags name the accepted object version
        # (GetObjectVersion, PutObjectVersionTagging); archiving tags binaries for the lifecycle rule.
        # Reopening an archived bundle takes the tag off again (DeleteObjectVersionTagging).
        self._objects(
            self.api,
            artifacts,
            (
                "s3:PutObject",
                "s3:GetObjectVersion",
                "s3:PutObjectVersionTagging",
                "s3:DeleteObjectVersionTagging",
            ),
        )
        self._objects(self.api, exports, ("s3:GetObject",))
        # POST /showcases/{name} checks each upload it PUTs at once (the artifact-uploaded function's
        # check, run inline): HeadObject/GetObject of a version that may be absent needs ListBucket.
        self._list(self.api, artifacts)
        self.api.allow(("sqs:SendMessage",), [messaging.jobs_queue.queue_arn])
        self.api.allow(("secretsmanager:GetSecretValue",), [data.pagination_secret.secret_arn])
        self.export_worker.allow(("secretsmanager:GetSecretValue",), [data.pagination_secret.secret_arn])
        self.api.allow(("lambda:InvokeFunction",), [self.export_worker.function.function_arn])

        # The schedule's run fans shards out; a worker low on time hands its remainder on (same queue).
        for fn in (self.sweep, self.sweep_worker):
            fn.allow(("events:PutEvents",), [messaging.event_bus.event_bus_arn])
            fn.allow(("sqs:SendMessage",), [messaging.sweep_queue.queue_arn])
        self.sweep_worker.function.add_event_source(
            sources.SqsEventSource(messaging.sweep_queue, batch_size=1, max_concurrency=c.SWEEP_SHARDS)
        )

        self.jobs_worker.function.add_event_source(
            sources.SqsEventSource(
                messaging.jobs_queue,
                batch_size=c.JOBS_BATCH_SIZE,
                report_batch_item_failures=True,
                # the poller never scales past the reserved concurrency (no throttled, re-queued batches)
                max_concurrency=max(2, jobs_worker_concurrency),
            )
        )
        if bedrock_model_id:
            self.jobs_worker.allow(
                ("bedrock:InvokeModel",), bedrock_model_arns(Stack.of(self), bedrock_model_id)
            )

        self._stream_source(self.stats_aggregator, data)

        # HeadObject/GetObject of the reported version to check and hash the upload; DeleteObjectVersion
        # to drop a refused version or a write to accepted evidence. The upload may be gone (or never
        # made): ListBucket makes S3 answer 404 instead of 403 for a missing key.
        self._objects(
            self.artifact_uploaded,
            artifacts,
            ("s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObjectVersion"),
        )
        self._list(self.artifact_uploaded, artifacts)
        # upload_file uses multipart for large archives; AbortMultipartUpload cleans up a failed one.
        self._objects(self.export_worker, exports, ("s3:PutObject", "s3:AbortMultipartUpload"))
        # Binaries of pending or deleted artifacts are absent: ListBucket turns their 403 into a 404.
        self._objects(self.export_worker, artifacts, ("s3:GetObject", "s3:GetObjectVersion"))
        self._list(self.export_worker, artifacts)

    def _stream_source(self, fn: WorkEngineFunction, data: DataConstruct) -> None:
        """The table's stream → ``fn``, bundle and task records only. Partial batch failures resume the
        shard at the failing record; a failing batch is bisected; what still fails is described in the
        DLQ (the mapping's on-failure destination)."""
        Validations.of(fn.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) and dynamodb:ListStreams "
                "(the stream event source) have no resource-level permissions; the wildcard resource is on "
                "those three actions only (the stream is read through its own ARN).",
            )
        )
        entity_types = lambda_.FilterRule.or_(*c.STREAM_ENTITY_TYPES)
        fn.function.add_event_source(
            sources.DynamoEventSource(
                data.table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=c.STREAM_BATCH_SIZE,
                bisect_batch_on_error=True,
                report_batch_item_failures=True,
                retry_attempts=c.STREAM_RETRY_ATTEMPTS,
                max_record_age=Duration.hours(c.STREAM_MAX_RECORD_AGE_HOURS),
                on_failure=sources.SqsDlq(self.stats_dlq),
                filters=[
                    lambda_.FilterCriteria.filter({"dynamodb": {image: {"entity_type": {"S": entity_types}}}})
                    for image in ("NewImage", "OldImage")
                ],
            )
        )

    def add(self, name: str, spec: FunctionSpec, extra_env: dict[str, str]) -> WorkEngineFunction:
        """One more function of the stack (another construct's concern), with its table grants; it joins
        ``all`` (alarms, tests)."""
        fn = self._make(spec, extra_env)
        self._table(fn, spec.table)
        self.all[name] = fn
        return fn

    def _table(self, fn: WorkEngineFunction, access: TableAccess) -> None:
        table_arn = self._data.table.table_arn
        if access.actions:
            fn.allow(access.actions, [table_arn])
        if access.indexes:
            # Each index named, not "<table>/index/*": a new index needs a deliberate grant.
            unknown = set(access.indexes) - set(self._data.index_names)
            if unknown:
                raise ValueError(f"{fn.spec.construct_id}: no such index {sorted(unknown)}")
            fn.allow(("dynamodb:Query",), [f"{table_arn}/index/{name}" for name in access.indexes])

    def _list(self, fn: WorkEngineFunction, prefix: str) -> None:
        """ListBucket on the bucket, limited to keys under ``prefix``."""
        fn.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self._data.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
            )
        )

    def _objects(self, fn: WorkEngineFunction, prefix: str, actions: tuple[str, ...]) -> None:
        bucket = self._data.bucket
        fn.allow(actions, [bucket.arn_for_objects(f"{prefix}*")])
        logical_id = Stack.of(self).resolve(bucket.bucket_arn)["Fn::GetAtt"][0]
        Validations.of(fn.role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/{prefix}*]",
                reason=f"Object keys are generated per tenant and entity; access is limited to the "
                f"'{prefix}' prefix of the one bucket.",
            )
        )
