"""Typed settings, validated once at cold start. Logic receives values, never reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_TABLE_NAME = "workengine"
DEFAULT_BUCKET_NAME = "workengine-artifacts-local"
DEFAULT_EVENT_BUS_NAME = "workengine"
DEFAULT_DEV_SECRET = "workengine-local-dev-secret-change-me-please"


class Settings(BaseSettings):
    """Every function's settings (``WORKENGINE_*`` environment variables)."""

    model_config = SettingsConfigDict(env_prefix="WORKENGINE_", extra="ignore")

    table_name: str = DEFAULT_TABLE_NAME
    bucket_name: str = DEFAULT_BUCKET_NAME
    event_bus_name: str = DEFAULT_EVENT_BUS_NAME
    jobs_queue_url: str | None = None
    exports_queue_url: str | None = None
    content_path: Path | None = Field(
        default=None,
        description="Compiled catalog JSON or a content/ directory; found automatically if unset.",
    )
    pagination_secret: str = Field(default=DEFAULT_DEV_SECRET, min_length=16)
    dev_jwt_secret: str = Field(default=DEFAULT_DEV_SECRET, min_length=16)
    idempotency_ttl_seconds: int = Field(default=3600, ge=60)
    max_page_size: int = Field(default=100, ge=1, le=1000)
    default_page_size: int = Field(default=25, ge=1, le=1000)
    service_name: str = "workengine"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
