"""API models of ``GET /attention``."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from workengine.domain.attention import AttentionItem
from workengine.domain.enums import TaskStatus


class AttentionEntry(BaseModel):
    """One open task and why it needs attention (docs/insight.md explains the score)."""

    model_config = ConfigDict(defer_build=True)

    task_id: str
    bundle_id: str
    title: str
    score: int
    reasons: list[str]
    bundle_title: str
    status: TaskStatus
    assignee: str | None
    due_date: date | None
    factors: dict[str, int] = Field(description="Points per factor that applied (the score is their sum).")

    @classmethod
    def of(cls, item: AttentionItem) -> AttentionEntry:
        task = item.task
        return cls(
            task_id=task.task_id,
            bundle_id=task.bundle_id,
            title=task.title,
            score=item.score.score,
            reasons=list(item.score.reasons),
            bundle_title=item.bundle.title,
            status=task.status,
            assignee=task.assignee,
            due_date=task.due_date,
            factors=dict(item.score.factors),
        )


class AttentionList(BaseModel):
    model_config = ConfigDict(defer_build=True)
    items: list[AttentionEntry]
