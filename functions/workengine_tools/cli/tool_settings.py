"""What the command-line tools read from their environment, typed and read in one place.

The runtime's values (table, bucket, bus, secrets, content) come from ``workengine.settings.Settings``;
this holds what only the tools read. Writing variables stays where it happens (``aws_config``, the local
server, the benchmark): it configures boto3 and Powertools in this process, the embedded moto backend or
a child process, and reads no configuration.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ToolSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    aws_endpoint_url: str | None = Field(
        default=None,
        validation_alias="AWS_ENDPOINT_URL",
        description="Where AWS requests go when a command gets no --endpoint-url (boto3's own variable).",
    )

    @field_validator("aws_endpoint_url")
    @classmethod
    def _unset_when_blank(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ToolSettings:
        """Raises pydantic.ValidationError for a value of the wrong shape."""
        return cls.model_validate(dict(os.environ if environ is None else environ))
