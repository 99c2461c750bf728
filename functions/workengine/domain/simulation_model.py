"""What a dry run of a template reports (``domain.simulation`` produces it; plain data, JSON-ready)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class KickOff:
    """What a bundle would start with. ``created_on`` None: derived (``simulation.creation_day``).
    ``fields`` gives recorded values per task key (simulated values fill the rest)."""

    anchor_date: date
    title: str = "Simulation"
    inputs: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    assignees: dict[str, str] = field(default_factory=dict)
    created_on: date | None = None
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)


class ProblemKind(StrEnum):
    NEVER_ACTIVE = "never_active"  # a task no example ever makes active
    DUE_BEFORE_DEPENDENCY = "due_before_dependency"  # due before a task it waits for
    REMINDER_BEFORE_BUNDLE = "reminder_before_bundle"  # a reminder would fire before the bundle exists
    NEVER_FINISHES = "never_finishes"  # open at the end of the run (e.g. an approval nobody may give)


@dataclass(frozen=True)
class SimulationProblem:
    kind: ProblemKind
    task_key: str | None
    message: str


@dataclass(frozen=True)
class SimulatedTask:
    """One task of the run. ``condition`` is the last state of its ``when`` (None: it has none);
    ``condition_changes`` lists ``(day, state)`` as the run saw them. ``active``: it was open with its
    dependencies finished and its condition met (or none) at some point."""

    key: str
    title: str
    phase: str
    assignee: str | None
    due_date: date | None
    first_due_date: date | None
    depends_on: list[str]
    offset_from: str | None
    remind_before_days: int
    status: str
    active: bool
    actionable_on: date | None
    completed_on: date | None
    days_late: int
    condition: str | None
    condition_changes: list[tuple[date, str]]
    when: str | None


@dataclass(frozen=True)
class SimulatedReminder:
    """A reminder the run would create; a daily ``overdue`` one is listed once with ``repeats``."""

    kind: str
    task_key: str | None
    recipient: str
    fire_at: datetime
    message: str
    repeats: int = 1


@dataclass(frozen=True)
class ApprovalGateRun:
    task_key: str
    approvers: list[str]
    eligible: list[str]
    required: int
    requested_on: date | None
    decided_on: date | None


@dataclass(frozen=True)
class Simulation:
    template_id: str
    template_version: str
    kick_off: KickOff
    created_at: datetime
    tasks: list[SimulatedTask]
    reminders: list[SimulatedReminder]
    approval_gates: list[ApprovalGateRun]
    critical_path: list[str]
    critical_path_days: int | None
    finished_on: date | None
    problems: list[SimulationProblem]

    def task(self, key: str) -> SimulatedTask | None:
        return next((t for t in self.tasks if t.key == key), None)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        return _jsonable(data)  # type: ignore[no-any-return]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value
