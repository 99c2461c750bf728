"""API models of approvals and task actions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from workengine.domain.entities import Approval, Task
from workengine.domain.enums import ApprovalDecision
from workengine.handlers.api.schemas import ApiInput


class ApprovalBody(ApiInput):
    decision: ApprovalDecision
    comment: str | None = Field(default=None, max_length=10_000, description="Required for reject.")


# "user:<id>" or a role name of the bundle's assignees map.
TARGET_PATTERN = r"^(user:[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}|[a-z][a-z0-9_-]{0,63})$"
Reason = Annotated[str, Field(min_length=1, max_length=2000)]


class SnoozeBody(ApiInput):
    action: Literal["snooze"]
    until: AwareDatetime = Field(description="When the task comes back: in the future, at most 90 days.")
    reason: str | None = Field(default=None, max_length=2000)


class EscalateBody(ApiInput):
    action: Literal["escalate"]
    to: str = Field(pattern=TARGET_PATTERN, description="'user:<id>' or a role of the bundle's assignees")
    reason: Reason


class ReassignBody(ApiInput):
    action: Literal["reassign"]
    to: str = Field(pattern=TARGET_PATTERN, description="'user:<id>' or a role of the bundle's assignees")


class SkipBody(ApiInput):
    action: Literal["skip"]
    reason: Reason


TaskActionBody = Annotated[SnoozeBody | EscalateBody | ReassignBody | SkipBody, Field(discriminator="action")]


class ApprovalEnvelope(BaseModel):
    model_config = ConfigDict(defer_build=True)
    approval: Approval
    task: Task
