"""API models of ``/templates/{template_id}/stats`` and ``/templates/{template_id}/drift``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from workengine.domain.stats_report import TemplateFigures
from workengine.services.drift_service import DriftReport


class RunCounts(BaseModel):
    started: int = Field(description="Bundles of the template created in the tenant (every status).")
    active: int = Field(description="Of those, bundles still active.")
    completed: int = Field(description="Bundles that completed (also when archived since).")
    cancelled: int = Field(description="Bundles cancelled, or archived without having completed.")


class CycleTime(BaseModel):
    p50: float | None = Field(description="Median days from creation to completion of completed bundles.")
    p90: float | None = Field(description="90th percentile of the same; null while none completed.")


class TaskStats(BaseModel):
    key: str = Field(description="Key of the task definition.")
    completed: int = Field(description="Tasks of this key that are done.")
    median_days_to_complete: float | None = Field(
        description="Median days from the bundle's creation to the task's completion; null while none."
    )
    overdue_rate: float | None = Field(
        description="Share (0-1) of the completed tasks done after their due date; null while none."
    )


class TemplateStatsView(BaseModel):
    runs: RunCounts = Field(description="Bundles of the template by state.")
    cycle_time_days: CycleTime = Field(description="Days from creation to completion of completed bundles.")
    tasks: list[TaskStats] = Field(
        description="Per task key, in template order (keys only older versions had come last)."
    )
    bottleneck: str | None = Field(
        description="Task key with the largest median wait on the critical path (docs/insight.md); "
        "null while no task completed."
    )

    @classmethod
    def of(cls, figures: TemplateFigures) -> TemplateStatsView:
        return cls(
            runs=RunCounts(
                started=figures.started,
                active=figures.active,
                completed=figures.completed,
                cancelled=figures.cancelled,
            ),
            cycle_time_days=CycleTime(p50=figures.cycle_p50, p90=figures.cycle_p90),
            tasks=[
                TaskStats(
                    key=task.key,
                    completed=task.completed,
                    median_days_to_complete=task.median_days_to_complete,
                    overdue_rate=task.overdue_rate,
                )
                for task in figures.tasks
            ],
            bottleneck=figures.bottleneck,
        )


class VersionDriftView(BaseModel):
    template_version: str = Field(description="A template version active bundles run on.")
    active_bundles: int = Field(description="Active bundles pinned to this version.")
    added_tasks: list[str] = Field(description="Task keys the current definition has and this one lacks.")
    removed_tasks: list[str] = Field(description="Task keys this version has and the current one lacks.")
    changed_tasks: list[str] = Field(description="Task keys in both whose definitions differ.")


class DriftView(BaseModel):
    current_version: str = Field(description="The version new bundles are created from.")
    versions: list[VersionDriftView] = Field(
        description="The current version first, then every version with active bundles."
    )

    @classmethod
    def of(cls, report: DriftReport) -> DriftView:
        return cls(
            current_version=report.current_version,
            versions=[
                VersionDriftView(
                    template_version=row.template_version,
                    active_bundles=row.active_bundles,
                    added_tasks=row.added_tasks,
                    removed_tasks=row.removed_tasks,
                    changed_tasks=row.changed_tasks,
                )
                for row in report.versions
            ],
        )
