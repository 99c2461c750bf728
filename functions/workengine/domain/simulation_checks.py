"""What a dry run finds wrong (pure): per run, and across the runs of a template's examples."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from workengine.domain.reminder_rules import start_of_day
from workengine.domain.simulation_model import (
    ProblemKind,
    SimulatedTask,
    Simulation,
    SimulationProblem,
)
from workengine.domain.template import WorkflowTemplate


def critical_path(tasks: Sequence[SimulatedTask], created_on: date) -> tuple[list[str], int | None]:
    """The chain of tasks that set the finish: from the task finished last, back through the
    dependency (``depends_on`` or ``offset_from``) that finished last, and so on; with the days from the
    bundle's creation to that last finish. Empty and None when nothing finished."""
    by_key = {task.key: task for task in tasks}
    finished = [task for task in tasks if task.completed_on is not None]
    if not finished:
        return [], None
    order = {task.key: index for index, task in enumerate(tasks)}

    def finish(task: SimulatedTask) -> tuple[date, int]:
        assert task.completed_on is not None
        return task.completed_on, order[task.key]

    last = max(finished, key=finish)
    chain = [last]
    while True:
        current = chain[-1]
        keys = [*current.depends_on, *([current.offset_from] if current.offset_from else [])]
        before = [by_key[key] for key in keys if key in by_key and by_key[key].completed_on is not None]
        if not before:
            break
        chain.append(max(before, key=finish))
    assert last.completed_on is not None
    return [task.key for task in reversed(chain)], (last.completed_on - created_on).days


def run_problems(
    simulation: Simulation, template: WorkflowTemplate, stuck: Mapping[str, str]
) -> list[SimulationProblem]:
    """Problems of one run: due dates before a dependency's, reminders before the bundle exists, work
    still open at the end (``stuck`` gives known reasons by task key)."""
    return [
        *_due_before_dependency(simulation),
        *_reminders_before_bundle(simulation),
        *_never_finishes(simulation, stuck),
    ]


def _due_before_dependency(simulation: Simulation) -> list[SimulationProblem]:
    problems: list[SimulationProblem] = []
    by_key = {task.key: task for task in simulation.tasks}
    for task in simulation.tasks:
        if not task.active or task.due_date is None:
            continue
        keys = dict.fromkeys([*task.depends_on, *([task.offset_from] if task.offset_from else [])])
        for key in keys:
            dependency = by_key.get(key)
            if dependency is None or not dependency.active or dependency.due_date is None:
                continue
            if task.due_date < dependency.due_date:
                problems.append(
                    SimulationProblem(
                        ProblemKind.DUE_BEFORE_DEPENDENCY,
                        task.key,
                        f"{task.key!r} is due {task.due_date.isoformat()}, before {key!r}"
                        f" (due {dependency.due_date.isoformat()}) that it depends on",
                    )
                )
    return problems


def _reminders_before_bundle(simulation: Simulation) -> list[SimulationProblem]:
    """Per task, the earliest reminder that would fire before the bundle is created (the rule's time:
    the sweep would send it late, at creation, or drop it)."""
    created = simulation.created_at
    earliest: dict[str, tuple[str, str]] = {}
    for task in simulation.tasks:
        if task.first_due_date is None:
            continue
        fire = start_of_day(task.first_due_date - timedelta(days=task.remind_before_days))
        if fire < created:
            earliest[task.key] = (fire.isoformat().replace("+00:00", "Z"), "due")
    for reminder in simulation.reminders:
        if reminder.task_key and reminder.fire_at < created and reminder.task_key not in earliest:
            earliest[reminder.task_key] = (reminder.fire_at.isoformat().replace("+00:00", "Z"), reminder.kind)
    shown = created.isoformat().replace("+00:00", "Z")
    return [
        SimulationProblem(
            ProblemKind.REMINDER_BEFORE_BUNDLE,
            key,
            f"the {kind} reminder of {key!r} would fire at {at}, before the bundle exists (created {shown})",
        )
        for key, (at, kind) in earliest.items()
    ]


def _never_finishes(simulation: Simulation, stuck: Mapping[str, str]) -> list[SimulationProblem]:
    open_statuses = {"todo", "in_progress", "waiting"}
    problems: list[SimulationProblem] = []
    for task in simulation.tasks:
        if task.status not in open_statuses:
            continue
        if task.key in stuck:
            why = stuck[task.key]
        elif task.condition == "pending":
            why = "its condition never becomes decidable"
        elif not task.active:
            statuses = {other.key: other.status for other in simulation.tasks}
            waiting = [key for key in task.depends_on if statuses.get(key) in open_statuses]
            why = (
                f"it waits for {', '.join(repr(k) for k in waiting)}"
                if waiting
                else "it never becomes actionable"
            )
        else:
            why = "it never falls due"
        problems.append(
            SimulationProblem(
                ProblemKind.NEVER_FINISHES, task.key, f"{task.key!r} is still open at the end: {why}"
            )
        )
    return problems


def never_active_problems(template: WorkflowTemplate, runs: Sequence[Simulation]) -> list[SimulationProblem]:
    """Task definitions that no run made active: left out by every run's tags, or skipped by their
    condition in every run."""
    problems: list[SimulationProblem] = []
    for definition in template.tasks:
        seen = [run.task(definition.key) for run in runs]
        if any(task is not None and task.active for task in seen):
            continue
        if all(task is None for task in seen):
            why = f"include_when_tag {definition.include_when_tag!r} is in no run's tags"
        else:
            conditions = sorted({task.condition or "none" for task in seen if task is not None})
            why = f"its condition is never met (outcomes: {', '.join(conditions)})"
        problems.append(
            SimulationProblem(
                ProblemKind.NEVER_ACTIVE,
                definition.key,
                f"{definition.key!r} never becomes active in any of the {len(runs)} run(s): {why}",
            )
        )
    return problems
