"""Typed settings, validated once at cold start. Logic receives values, never reads the environment."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

DEFAULT_TABLE_NAME = "workengine"
DEFAULT_BUCKET_NAME = "workengine-artifacts-local"
DEFAULT_EVENT_BUS_NAME = "workengine"
DEFAULT_DEV_SECRET = "workengine-local-dev-secret-change-me-please"
DEFAULT_JOBS_QUEUE_NAME = "workengine-jobs"
DEFAULT_S3_EVENTS_QUEUE_NAME = "workengine-s3-events"  # local only: in AWS the rule invokes the Lambda
DEFAULT_NOTIFIER_QUEUE_NAME = "workengine-notifier"
DEFAULT_EVENT_TRIGGERS_QUEUE_NAME = "workengine-event-triggers"  # local name; in AWS CloudFormation names it
DEFAULT_ARTIFACT_CONTENT_TYPES = (
    "application/pdf",
    "audio/mpeg",
    "audio/wav",
    "video/mp4",
    "image/png",
    "image/jpeg",
    "text/plain",
    "text/csv",
    "application/json",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


ENV_PREFIX = "WORKENGINE_"


class Settings(BaseModel):
    """Every function's settings (``WORKENGINE_*`` environment variables; names not case-sensitive).

    ``Settings()`` reads the environment; keyword arguments (field names) override it. A list field's
    variable holds JSON. Plain pydantic validates the values: pydantic-settings did the same, for ~25 ms
    more at every cold start (decision log, 2026-12-02).
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**environment_values(type(self), os.environ), **values})

    # The contract names WORKENGINE_TABLE / _BUCKET / _EVENT_BUS; the *_NAME spellings are accepted too.
    table_name: str = Field(
        default=DEFAULT_TABLE_NAME, validation_alias=AliasChoices("WORKENGINE_TABLE", "WORKENGINE_TABLE_NAME")
    )
    bucket_name: str = Field(
        default=DEFAULT_BUCKET_NAME,
        validation_alias=AliasChoices("WORKENGINE_BUCKET", "WORKENGINE_BUCKET_NAME"),
    )
    event_bus_name: str = Field(
        default=DEFAULT_EVENT_BUS_NAME,
        validation_alias=AliasChoices("WORKENGINE_EVENT_BUS", "WORKENGINE_EVENT_BUS_NAME"),
    )
    jobs_queue_url: str | None = None
    exports_queue_url: str | None = None
    content_path: Path | None = Field(
        default=None,
        description="Compiled catalog JSON or a content/ directory; found automatically if unset.",
    )
    pagination_secret: str = Field(default=DEFAULT_DEV_SECRET, min_length=16)
    pagination_secret_arn: str | None = Field(
        default=None,
        description="Secrets Manager secret holding pagination_secret (AWS); read once by get_settings().",
    )
    dev_jwt_secret: str = Field(default=DEFAULT_DEV_SECRET, min_length=16)
    idempotency_ttl_seconds: int = Field(default=3600, ge=60)
    max_page_size: int = Field(default=100, ge=1, le=1000)
    default_page_size: int = Field(default=25, ge=1, le=1000)
    service_name: str = "workengine"
    local_sweep_interval_seconds: float = Field(
        default=60.0, gt=0, description="How often `workengine serve` runs the sweep (AWS: the schedule)."
    )
    # -- portable export (issue 6) --
    export_function_name: str | None = Field(
        default=None, description="export worker Lambda, invoked asynchronously; unset: run in-process"
    )
    export_url_ttl_seconds: int = Field(default=900, ge=60, le=7 * 24 * 3600)
    sweep_rate_minutes: int = Field(default=15, ge=1, le=1440, description="EventBridge sweep schedule.")
    sweep_queue_url: str | None = Field(
        default=None,
        description="SQS queue of sweep work (AWS): the schedule fans shards out to workers through it; "
        "unset: one process sweeps every shard itself (CLI, local server)",
    )
    sweep_page_size: int = Field(default=100, ge=1, le=1000, description="Due tasks per read and write page.")
    sweep_reserve_seconds: int = Field(
        default=60, ge=5, le=600, description="Time left of an invocation at which the sweep hands work on."
    )
    upload_expiry_margin_seconds: int = Field(
        default=3600,
        ge=0,
        le=7 * 24 * 3600,
        description="Added to upload_url_ttl_seconds before the sweep marks a pending artifact expired.",
    )
    publish_max_attempts: int = Field(default=3, ge=1, le=10, description="PutEvents tries per entry.")
    # -- artifacts and assistant jobs (issue 4) --
    # Presigned PUTs take up to 5 GB; a podcast recording or a site survey video needs hundreds of MB.
    max_artifact_bytes: int = Field(default=1024 * 1024 * 1024, ge=1, le=5 * 1024 * 1024 * 1024)
    allowed_content_types: list[str] = Field(default_factory=lambda: list(DEFAULT_ARTIFACT_CONTENT_TYPES))
    upload_url_ttl_seconds: int = Field(default=900, ge=60, le=7 * 24 * 3600)
    download_url_ttl_seconds: int = Field(default=300, ge=30, le=7 * 24 * 3600)
    jobs_queue_name: str = DEFAULT_JOBS_QUEUE_NAME
    s3_events_queue_name: str = DEFAULT_S3_EVENTS_QUEUE_NAME
    event_triggers_queue_name: str = Field(
        default=DEFAULT_EVENT_TRIGGERS_QUEUE_NAME,
        description="Local server: the queue the trigger rule feeds (AWS: an SQS event source).",
    )
    assistant_provider: Literal["local", "bedrock"] = "local"
    bedrock_model_id: str = "anthropic.claude-3-5-haiku-20241022-v1:0"
    bedrock_max_tokens: int = Field(default=2048, ge=64, le=32_000)
    assistant_max_attempts: int = Field(default=4, ge=1, le=10)
    assistant_retry_base_seconds: float = Field(default=1.0, ge=0, le=60)
    # -- reminder email (issue 16) --
    email_sender: str = Field(
        default="reminders@example.com",
        min_length=3,
        max_length=254,
        description="SES identity reminders are sent from (verified in SES; the stack's `email_sender`).",
    )
    user_pool_id: str | None = Field(
        default=None, description="Cognito user pool: addresses of users whose preferences name none (AWS)."
    )
    notifier_queue_name: str = DEFAULT_NOTIFIER_QUEUE_NAME  # local only: in AWS the rule targets the queue
    # -- where this runs --
    lambda_function_name: str | None = Field(
        default=None,
        validation_alias="AWS_LAMBDA_FUNCTION_NAME",
        description="Set by the Lambda runtime: development fallbacks are refused when it is.",
    )

    @property
    def in_lambda(self) -> bool:
        return bool(self.lambda_function_name)

    def page_token_secret(self) -> str:
        """The key that signs page tokens. Raises InsecureSettingsError in a Lambda whose key is missing
        (no secret ARN and no value) or still the public development default."""
        if self.in_lambda and self.pagination_secret == DEFAULT_DEV_SECRET:
            raise InsecureSettingsError(
                "the pagination secret is missing or the public development default: set "
                "WORKENGINE_PAGINATION_SECRET_ARN (the stack does)"
            )
        return self.pagination_secret


def environment_values(model: type[BaseModel], environ: Mapping[str, str]) -> dict[str, Any]:
    """The fields set in ``environ``, by field name: ``WORKENGINE_<FIELD>`` or the field's aliases."""
    upper = {name.upper(): value for name, value in environ.items()}
    found: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names = [str(choice) for choice in alias.choices]
        else:
            names = [alias] if isinstance(alias, str) else [f"{ENV_PREFIX}{name}"]
        value = next((upper[env.upper()] for env in names if env.upper() in upper), None)
        if value is None:
            continue
        found[name] = json.loads(value) if _is_list(field.annotation) else value
    return found


def _is_list(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is list


class InsecureSettingsError(RuntimeError):
    """A function in AWS was configured with a development fallback; it refuses to start."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    settings = Settings()
    if settings.pagination_secret_arn:
        from workengine.dal.secrets import fetch_secret_string  # AWS only: boto3 stays off the local path

        secret = fetch_secret_string(settings.pagination_secret_arn)
        settings = settings.model_copy(update={"pagination_secret": secret})
    return settings
