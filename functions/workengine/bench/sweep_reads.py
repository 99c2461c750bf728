"""Figure: reminder sweep — items read and time at growing task counts with the same 100 due.

Reads must stay flat as the table grows (the sweep reads the sparse due index, never the tasks).
Needs ``workengine.handlers.sweep`` (issue 5); until it exists the figure says so and measures nothing.
"""

from __future__ import annotations

import importlib

from workengine.bench.figure import BenchConfig, Figure, not_available
from workengine.bench.imports import module_exists

TITLE = "Reminder sweep: items read at growing task counts, 100 due"
SWEEP_MODULES = ("workengine.handlers.sweep", "workengine.services.sweep_service")


def measure(config: BenchConfig) -> Figure:
    if not all(module_exists(name) for name in SWEEP_MODULES):
        return not_available("sweep_reads", TITLE, "the reminder sweep (issue 5) is not in the tree")
    if not module_exists("workengine.bench.sweep_measure"):
        return not_available("sweep_reads", TITLE, "the benchmark driver for it is not written yet")
    driver = importlib.import_module("workengine.bench.sweep_measure")
    figure: Figure = driver.measure(config, TITLE)
    return figure
