"""Names and tunables of the deployed stack, in one place.

Physical names (table, bucket, queues) are left to CloudFormation so several stages can share an
account; functions learn them from ``WORKENGINE_*`` environment variables named after ``Settings`` fields.
"""

from __future__ import annotations

from pathlib import Path

from workengine.handlers.api import public_routes

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = REPO_ROOT / "functions"
CONTENT_DIR = REPO_ROOT / "content"

SERVICE_NAME = "workengine"  # = workengine.observability.SERVICE
METRICS_NAMESPACE = "WorkEngine"  # = workengine.observability.METRICS_NAMESPACE
STACK_NAME_PREFIX = "WorkEngine"

# ---- context keys (cdk -c key=value) ------------------------------------------------------------------
CONTEXT_STAGE = "stage"  # dev (default) | prod: prod retains data and turns on deletion protection
CONTEXT_BUNDLE = "workengine:bundle"  # "skip": copy code + catalog only, no pip (tests, quick synth)
CONTEXT_ALLOWED_ORIGINS = "workengine:allowed_origins"  # comma-separated browser origins (CORS)
CONTEXT_ALARM_EMAIL = "workengine:alarm_email"  # optional e-mail subscribed to the alarm topic
CONTEXT_ASSISTANT_PROVIDER = "workengine:assistant_provider"  # local (default) | bedrock
CONTEXT_BEDROCK_MODEL_ID = "workengine:bedrock_model_id"  # default: Settings.bedrock_model_id
CONTEXT_EXPORT_WORKER_CONCURRENCY = "workengine:export_worker_concurrency"  # reserved concurrency
CONTEXT_JOBS_WORKER_CONCURRENCY = "workengine:jobs_worker_concurrency"  # reserved concurrency
CONTEXT_EMAIL_SENDER = "workengine:email_sender"  # From address of reminder email (a verified SES identity)
# The verified SES identity the sender belongs to: the address itself (default) or its domain.
CONTEXT_EMAIL_IDENTITY = "workengine:email_identity"
DEFAULT_EXPORT_WORKER_CONCURRENCY = 2
DEFAULT_JOBS_WORKER_CONCURRENCY = 5
ENV_SKIP_BUNDLING = "WORKENGINE_SKIP_BUNDLING"  # "1" does what -c workengine:bundle=skip does

PROD_STAGE = "prod"
DEFAULT_STAGE = "dev"
BUNDLE_SKIP = "skip"

# ---- Lambda -------------------------------------------------------------------------------------------
PYTHON_RUNTIME_VERSION = "3.12"
# The asset bundles every runtime dependency of the project (pyproject.toml), Powertools included, pinned
# to the versions installed where synth runs (those the tests ran with). No layers: what the functions
# import is exactly what the asset-import test installs. boto3 comes with the Lambda runtime.
PROJECT_DISTRIBUTION = "workengine"
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})
# Development-only: the catalog ships compiled (no YAML at runtime), API Gateway verifies JWTs.
TOOLING_ONLY = frozenset({"pyyaml", "pyjwt"})
LAMBDA_PLATFORM = "manylinux2014_aarch64"
# cel-expr-python publishes aarch64 wheels for glibc 2.28 only; the python3.12 runtime (Amazon Linux 2023,
# glibc 2.34) runs them, so pip may pick wheels of either tag.
LAMBDA_EXTRA_PLATFORMS = ("manylinux_2_28_aarch64",)

# Tag on each of the project's functions (value: its construct ID, e.g. "ExportWorker"). CDK's own provider
# functions (the dev buckets' auto-delete) do not carry it.
FUNCTION_TAG_KEY = "workengine:function"

API_HANDLER = "workengine.handlers.api.app.lambda_handler"
SWEEP_HANDLER = "workengine.handlers.sweep.lambda_handler"
SWEEP_WORKER_HANDLER = "workengine.handlers.sweep_worker.lambda_handler"
JOBS_WORKER_HANDLER = "workengine.handlers.jobs_worker.lambda_handler"
ARTIFACT_UPLOADED_HANDLER = "workengine.handlers.artifact_uploaded.lambda_handler"
EXPORT_WORKER_HANDLER = "workengine.handlers.export_worker.lambda_handler"
EVENT_TRIGGER_HANDLER = "workengine.handlers.event_trigger.lambda_handler"
STATS_AGGREGATOR_HANDLER = "workengine.handlers.stats_aggregator.lambda_handler"
NOTIFIER_HANDLER = "workengine.handlers.notifier.lambda_handler"

# ---- storage layout (object key prefixes the runtime writes under) ------------------------------------
ARTIFACTS_PREFIX = "tenants/"  # workengine.services.artifact_service.artifact_key (tests check it)
EXPORTS_PREFIX = "exports/"  # workengine.dal.export_storage.export_prefix (tests check it)
EXPORTS_EXPIRE_DAYS = 7
# Archiving a bundle tags its binaries (workengine.dal.artifact_repository.ARCHIVED_TAG_KEY); the lifecycle
# rule expires tagged objects after this many days.
ARCHIVED_TAG_KEY = "workengine-archived"
ARCHIVED_ARTIFACTS_EXPIRE_DAYS = 90
NONCURRENT_VERSIONS_EXPIRE_DAYS = 30
ABORT_MULTIPART_DAYS = 1
PRESIGNED_UPLOAD_CORS_MAX_AGE_SECONDS = 3000

# ---- schedules, queues, retries -----------------------------------------------------------------------
SWEEP_RATE_MINUTES = 15
SWEEP_SHARDS = 16  # = workengine.dal.due_index.DUE_SHARDS (tests check it): at most one worker per shard
SWEEP_WORKER_TIMEOUT_SECONDS = 300
SWEEP_WORK_MAX_RECEIVE_COUNT = 3
ASYNC_RETRY_ATTEMPTS = 2
ASYNC_MAX_EVENT_AGE_HOURS = 2
JOBS_BATCH_SIZE = 5
JOBS_WORKER_TIMEOUT_SECONDS = 120
JOBS_VISIBILITY_TIMEOUT_FACTOR = 6  # AWS guidance: queue visibility >= 6x the consumer's timeout
JOBS_MAX_RECEIVE_COUNT = 3
DLQ_RETENTION_DAYS = 14
# Events that start bundles: a rejected event (its detail does not fit) is tried this often, then parked.
EVENT_TRIGGER_TIMEOUT_SECONDS = 60
EVENT_TRIGGER_BATCH_SIZE = 10
EVENT_TRIGGER_MAX_RECEIVE_COUNT = 3  # = workengine_tools.local.event_triggers.MAX_RECEIVES (tests check it)
# The table's stream → statistics aggregator: a failing batch is bisected and retried, and a record still
# failing after STREAM_RETRY_ATTEMPTS (or older than STREAM_MAX_RECORD_AGE_HOURS) goes to its DLQ. Both
# stay well inside the aggregator's 7-day replay markers (workengine.dal.stats_repository).
STREAM_BATCH_SIZE = 100
STREAM_RETRY_ATTEMPTS = 10
STREAM_MAX_RECORD_AGE_HOURS = 24
STATS_AGGREGATOR_TIMEOUT_SECONDS = 60
# Only bundle and task items move statistics: the mapping drops every other record before invoking.
STREAM_ENTITY_TYPES = ("bundle", "task")
NOTIFIER_TIMEOUT_SECONDS = 60
NOTIFIER_BATCH_SIZE = 10
NOTIFIER_MAX_RECEIVE_COUNT = 5  # SES throttling gives the claim back and the record is retried

# ---- API ----------------------------------------------------------------------------------------------
PUBLIC_ROUTES = public_routes.PUBLIC_ROUTES  # no authorizer on these (defined with the API document)
PROXY_ROUTE_PATH = "/{proxy+}"
THROTTLE_RATE_LIMIT = 50  # steady requests per second for the whole stage
THROTTLE_BURST_LIMIT = 100
TENANT_ATTRIBUTE = "tenant_id"  # Cognito custom attribute → claim custom:tenant_id
ROLE_ATTRIBUTE = "role"  # Cognito custom attribute → claim custom:role

# ---- observability ------------------------------------------------------------------------------------
LOG_RETENTION_DAYS_DEV = 14
LOG_RETENTION_DAYS_PROD = 90
DURATION_ALARMED_FUNCTIONS = ("export_worker",)  # keys of FunctionsConstruct.all
DURATION_ALARM_FRACTION = 0.8  # alarm when the longest run of a period reaches 80% of the timeout
API_5XX_ALARM_THRESHOLD = 5  # 5xx responses per 5 minutes
ALARM_PERIOD_MINUTES = 5
ITERATOR_AGE_ALARM_SECONDS = 300  # statistics more than 5 minutes behind the table
