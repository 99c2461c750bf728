"""The unit of sweep work: one shard of the due index as of one sweep's time (JSON on the sweep queue)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class ShardWork(BaseModel):
    """One shard of one sweep; JSON on the sweep queue."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    now: AwareDatetime
    shard: int = Field(ge=0)
    cursor: dict[str, str] | None = None
    handovers: int = Field(default=0, ge=0)  # how often this shard's work was handed on already

    def continued(self, cursor: dict[str, str]) -> ShardWork:
        return self.model_copy(update={"cursor": cursor, "handovers": self.handovers + 1})
