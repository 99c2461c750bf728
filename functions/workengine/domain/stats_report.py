"""A template's statistics read back from its counters (``domain/run_counts.py``), and the bottleneck.

Bottleneck: each task key's *wait* is its median days from the run's start to completion minus the
largest such median among the keys it waits for (``depends_on`` and ``offset_from``), floored at zero:
how much later than its prerequisites it typically finishes. The *critical path* runs back from the key
with the largest median (the work that typically finishes last) through, at each step, the prerequisite
with the largest median. The bottleneck is the key on that path with the largest wait (the earliest in
template order on a tie); null while no task of the template has completed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from workengine.domain import run_counts as rc
from workengine.domain.histogram import percentile

DAYS_DECIMALS = 2
RATE_DECIMALS = 3


@dataclass(frozen=True)
class TaskShape:
    """What the report needs of a task definition: its key and the keys it waits for."""

    key: str
    waits_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskFigures:
    key: str
    completed: int
    median_days_to_complete: float | None
    overdue_rate: float | None


@dataclass(frozen=True)
class TemplateFigures:
    started: int
    active: int
    completed: int
    cancelled: int
    cycle_p50: float | None
    cycle_p90: float | None
    tasks: list[TaskFigures] = field(default_factory=list)
    bottleneck: str | None = None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _histogram(counters: Mapping[str, int], prefix: str) -> dict[int, int]:
    found: dict[int, int] = {}
    for name, count in counters.items():
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            found[int(name[len(prefix) :])] = count
    return found


def _task_keys(counters: Mapping[str, int], shapes: Sequence[TaskShape]) -> list[str]:
    """The definition's keys in template order, then keys only the counters know (an older version's)."""
    keys = [shape.key for shape in shapes]
    known = set(keys)
    counted = {name.split("#")[1] for name in counters if name.startswith(rc.TASK_PREFIX)}
    return keys + sorted(counted - known)


def task_figures(counters: Mapping[str, int], key: str) -> TaskFigures:
    completed = max(counters.get(rc.task_counter(key, "completed"), 0), 0)
    late = max(counters.get(rc.task_counter(key, "late"), 0), 0)
    median = percentile(_histogram(counters, rc.task_counter(key, "days#")), 0.5)
    return TaskFigures(
        key=key,
        completed=completed,
        median_days_to_complete=_round(median, DAYS_DECIMALS),
        overdue_rate=_round(late / completed, RATE_DECIMALS) if completed else None,
    )


def bottleneck(medians: Mapping[str, float], shapes: Sequence[TaskShape]) -> str | None:
    """The key with the largest wait on the critical path (see the module docstring), or None."""
    if not medians:
        return None
    order = {shape.key: index for index, shape in enumerate(shapes)}
    waits_for = {shape.key: [k for k in shape.waits_for if k in medians] for shape in shapes}

    def rank(key: str) -> int:
        return order.get(key, len(order))

    def wait(key: str) -> float:
        before = [medians[k] for k in waits_for.get(key, [])]
        return max(0.0, medians[key] - max(before, default=0.0))

    current: str | None = max(medians, key=lambda k: (medians[k], -rank(k)))
    path: list[str] = []
    while current is not None and current not in path:
        path.append(current)
        prerequisites = waits_for.get(current, [])
        current = max(prerequisites, key=lambda k: (medians[k], -rank(k))) if prerequisites else None
    return max(path, key=lambda k: (wait(k), -rank(k)))


def template_figures(counters: Mapping[str, int], shapes: Sequence[TaskShape]) -> TemplateFigures:
    """The statistics of one counters item. ``shapes`` are the task definitions to report (in order)."""
    tasks = [task_figures(counters, key) for key in _task_keys(counters, shapes)]
    medians = {f.key: f.median_days_to_complete for f in tasks if f.median_days_to_complete is not None}
    cycle = _histogram(counters, rc.CYCLE_PREFIX)
    return TemplateFigures(
        started=max(counters.get(rc.RUNS_STARTED, 0), 0),
        active=max(counters.get(rc.RUNS_ACTIVE, 0), 0),
        completed=max(counters.get(rc.RUNS_COMPLETED, 0), 0),
        cancelled=max(counters.get(rc.RUNS_CANCELLED, 0), 0),
        cycle_p50=_round(percentile(cycle, 0.5), DAYS_DECIMALS),
        cycle_p90=_round(percentile(cycle, 0.9), DAYS_DECIMALS),
        tasks=tasks,
        bottleneck=bottleneck(medians, shapes),
    )
