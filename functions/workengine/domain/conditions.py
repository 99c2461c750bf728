"""Conditions (``when:``): Common Expression Language, compiled once per container and expression.

The CEL runtime is ``cel-expr-python`` (the CEL project's own C++ runtime; see the decision log). An
expression sees ``inputs`` (map), ``bundle`` (``tags``, ``references``, ``anchor_date``), ``tasks.<key>``
(``status``, ``fields``, ``outputs``) and ``days_to_anchor`` (int). What it reads is taken from the CEL
checker itself: compiled against an environment that declares nothing, every variable path it reads is
reported as an undeclared reference (``tasks.review.fields.risk``), so no expression is parsed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any

CONTEXT_ROOTS = frozenset({"inputs", "bundle", "tasks", "days_to_anchor"})
BUNDLE_ATTRIBUTES = frozenset({"tags", "references", "anchor_date"})
TASK_ATTRIBUTES = frozenset({"status", "fields", "outputs"})
DAYS_TO_ANCHOR = "days_to_anchor"
_UNDECLARED = re.compile(r"undeclared reference to '([^']+)'")


class ConditionState(StrEnum):
    PENDING = "pending"
    MET = "met"
    NOT_MET = "not_met"


class ConditionError(ValueError):
    """An expression that does not compile (syntax, an unknown variable root, a non-boolean result)."""


@dataclass(frozen=True)
class CompiledCondition:
    source: str
    program: Any
    references: tuple[str, ...]  # every variable path the expression reads, e.g. "tasks.review.fields.risk"

    @property
    def task_keys(self) -> frozenset[str]:
        """Tasks the expression reads anything of (their change re-evaluates it)."""
        return frozenset(path.split(".")[1] for path in self.references if path.startswith("tasks."))

    @property
    def data_task_keys(self) -> frozenset[str]:
        """Tasks whose recorded data (fields, outputs) it reads: undecidable while they are open."""
        keys = set()
        for path in self.references:
            parts = path.split(".")
            if parts[0] == "tasks" and (len(parts) < 3 or parts[2] != "status"):
                keys.add(parts[1])
        return frozenset(keys)

    @property
    def output_task_keys(self) -> frozenset[str]:
        """Tasks whose assistant output it reads (a new output re-evaluates it)."""
        return frozenset(
            parts[1]
            for parts in (path.split(".") for path in self.references)
            if parts[0] == "tasks" and len(parts) > 2 and parts[2] == "outputs"
        )

    @property
    def uses_days_to_anchor(self) -> bool:
        return DAYS_TO_ANCHOR in self.references


@cache
def _cel() -> Any:
    from cel_expr_python import cel

    return cel


@cache
def _environments() -> tuple[Any, Any]:
    """(bare, full): the bare one declares nothing, so its diagnostics name every path read."""
    cel = _cel()
    any_map = cel.Type.Map(cel.Type.STRING, cel.Type.DYN)
    full = cel.NewEnv(
        variables={"inputs": any_map, "bundle": any_map, "tasks": any_map, DAYS_TO_ANCHOR: cel.Type.INT}
    )
    return cel.NewEnv(), full


def _diagnostic(exc: Exception) -> str:
    text = str(exc).removeprefix("INVALID_ARGUMENT: ").strip()
    return text.split(" [INVALID_ARGUMENT]")[0].replace("\n", " ")


@cache
def compile_condition(source: str) -> CompiledCondition:
    """The compiled expression (cached for the container's life: definitions are immutable).

    Raises ConditionError when it does not compile, reads an unknown root or does not yield a bool.
    """
    bare, full = _environments()
    try:
        bare.compile(source)
        references: list[str] = []
    except RuntimeError as exc:
        references = list(dict.fromkeys(_UNDECLARED.findall(str(exc))))
    unknown = sorted({path.split(".")[0] for path in references} - CONTEXT_ROOTS)
    if unknown:
        known = ", ".join(sorted(CONTEXT_ROOTS))
        raise ConditionError(f"unknown variable {unknown[0]!r} (known: {known})")
    try:
        program = full.compile(source)
    except RuntimeError as exc:
        raise ConditionError(_diagnostic(exc)) from exc
    result = program.return_type()
    cel = _cel()
    if result != cel.Type.BOOL and result != cel.Type.DYN:
        raise ConditionError(f"must yield a bool, not {result.name().lower()}")
    return CompiledCondition(source=source, program=program, references=tuple(references))


def evaluate(
    condition: CompiledCondition, context: Mapping[str, Any], task_statuses: Mapping[str, str]
) -> ConditionState:
    """``pending`` while a task whose data it reads is open or a value it reads is unset; else
    ``met``/``not_met`` by the expression's result."""
    for key in condition.data_task_keys:
        if task_statuses.get(key) in OPEN_STATUSES:
            return ConditionState.PENDING
    value = condition.program.eval(data=context)
    cel = _cel()
    if value.type() != cel.Type.BOOL:
        return ConditionState.PENDING
    return ConditionState.MET if value.value() else ConditionState.NOT_MET


OPEN_STATUSES = frozenset({"todo", "in_progress", "waiting"})


def condition_context(
    *,
    inputs: Mapping[str, Any],
    tags: Iterable[str],
    references: Mapping[str, str],
    anchor_date: date,
    today: date,
    tasks: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """The variables an expression sees; ``tasks`` maps task keys to ``status``/``fields``/``outputs``."""
    return {
        "inputs": dict(inputs),
        "bundle": {
            "tags": list(tags),
            "references": dict(references),
            "anchor_date": anchor_date.isoformat(),
        },
        "tasks": {key: dict(value) for key, value in tasks.items()},
        DAYS_TO_ANCHOR: (anchor_date - today).days,
    }
