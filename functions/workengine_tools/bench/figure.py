"""What every figure returns: a titled table (printed) that is also plain data (JSON)."""

from __future__ import annotations

import importlib
import importlib.util
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BenchConfig:
    """How hard to push: ``quick`` is a smoke run (a test uses it), not a measurement."""

    quick: bool = False
    iterations: int = 30
    import_runs: int = 7
    scales: tuple[int, ...] = (1_000, 10_000, 50_000)
    sweep_large: bool = False  # the sweep-scale figure adds 100,000 due (minutes on moto)


@dataclass
class Figure:
    """``rows`` are dicts with the same keys as ``columns``; ``available`` False means not measured."""

    key: str
    title: str
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    available: bool = True
    goal: str | None = None
    goal_met: bool | None = None  # None: no goal, or not measured

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "available": self.available,
            "goal": self.goal,
            "goal_met": self.goal_met,
            "columns": self.columns,
            "rows": self.rows,
            "notes": self.notes,
        }


def verdict(figure: Figure) -> str | None:
    """``PASS`` or ``MISS`` for a figure with a goal it was measured against, else None."""
    if figure.goal is None or figure.goal_met is None:
        return None
    return "PASS" if figure.goal_met else "MISS"


def not_available(key: str, title: str, reason: str) -> Figure:
    """A figure whose code under test does not exist yet: no numbers, one clear line."""
    return Figure(key=key, title=title, columns=[], available=False, notes=[f"not available yet: {reason}"])


def measured_by_driver(
    config: BenchConfig, key: str, title: str, *, needs: Sequence[str], missing: str, driver: str
) -> Figure:
    """The figure ``driver.measure(config, title)`` returns, or not available while a module it measures
    (``needs``; ``missing`` says which feature) or the driver itself is not in the tree."""
    if not all(module_exists(name) for name in needs):
        return not_available(key, title, missing)
    if not module_exists(driver):
        return not_available(key, title, "the benchmark driver for it is not written yet")
    figure: Figure = importlib.import_module(driver).measure(config, title)
    return figure


def module_exists(name: str) -> bool:
    """Whether ``name`` can be imported here (False also when a parent package is missing)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
