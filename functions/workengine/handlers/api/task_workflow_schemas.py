"""API models of approvals and task actions."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, Field

from workengine.domain.entities import Approval, Task
from workengine.domain.enums import ApprovalDecision
from workengine.handlers.api.schemas import ApiInput, ErrorBody


class ApprovalBody(ApiInput):
    decision: ApprovalDecision
    comment: str | None = Field(default=None, max_length=10_000, description="Required for reject.")


class ApprovalEnvelope(BaseModel):
    approval: Approval
    task: Task


def json_response(description: str, model: type[BaseModel]) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": model}}}


def error_responses(**codes_by_status: str) -> dict[int, OpenAPIResponse]:
    """``error_responses(s403="NOT_AN_APPROVER or FORBIDDEN")``: the contract's error body per status."""
    return {int(key[1:]): json_response(codes, ErrorBody) for key, codes in codes_by_status.items()}
