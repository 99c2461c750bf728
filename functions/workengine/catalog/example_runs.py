"""``workengine templates validate`` runs every template's ``examples`` through the simulation, so a
template whose runs have problems (``domain.simulation_model.ProblemKind``) fails CI before it ships."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from workengine.catalog.problems import Problem
from workengine.domain.errors import WorkEngineError
from workengine.domain.simulation import simulate
from workengine.domain.simulation_checks import never_active_problems
from workengine.domain.simulation_model import KickOff, Simulation
from workengine.domain.template import TemplateExample, WorkflowTemplate

# Examples without an anchor date run on this one (the API example test uses the same day).
DEFAULT_EXAMPLE_ANCHOR = date(2030, 6, 30)


@dataclass(frozen=True)
class ExampleRun:
    index: int
    simulation: Simulation


def example_kick_off(example: TemplateExample, anchor: date | None = None) -> KickOff:
    return KickOff(
        anchor_date=anchor or example.anchor_date or DEFAULT_EXAMPLE_ANCHOR,
        title=example.title,
        inputs=dict(example.inputs),
        tags=list(example.tags),
        assignees=dict(example.assignees),
    )


def run_examples(template: WorkflowTemplate, anchor: date | None = None) -> list[ExampleRun]:
    """One simulation per example (``anchor`` overrides every example's anchor date). Raises
    ValidationFailedError for an example ``POST /bundles`` would refuse."""
    return [
        ExampleRun(index, simulate(template, example_kick_off(example, anchor)))
        for index, example in enumerate(template.examples)
    ]


def example_problems(template: WorkflowTemplate, file: str) -> list[Problem]:
    """Every problem of the template's example runs, located ``examples[i]`` (per run) or ``tasks[i]``
    (a task no example makes active). A template without examples has nothing to run."""
    if not template.examples:
        return []
    try:
        runs = run_examples(template)
    except WorkEngineError as exc:
        return [Problem(file, "examples", f"an example cannot start: {exc.message}")]
    problems = [
        Problem(file, f"examples[{run.index}]", problem.message)
        for run in runs
        for problem in run.simulation.problems
    ]
    index_of = {task.key: index for index, task in enumerate(template.tasks)}
    for problem in never_active_problems(template, [run.simulation for run in runs]):
        field = f"tasks[{index_of[problem.task_key]}]" if problem.task_key in index_of else "tasks"
        problems.append(Problem(file, field, problem.message))
    return problems


def catalog_example_problems(templates: Iterable[tuple[WorkflowTemplate, str]]) -> list[Problem]:
    """``example_problems`` of each (template, file label)."""
    return [problem for template, file in templates for problem in example_problems(template, file)]
