"""Figure: reminder sweep — items read and time at growing task counts with the same 100 due.

Reads must stay flat as the table grows (the sweep reads the sparse due index, never the tasks).
Needs ``workengine.handlers.sweep`` (issue 5); until it exists the figure says so and measures nothing.
"""

from __future__ import annotations

from workengine_tools.bench.figure import BenchConfig, Figure, measured_by_driver

TITLE = "Reminder sweep: items read at growing task counts, 100 due"
SWEEP_MODULES = ("workengine.handlers.sweep", "workengine.services.sweep_service")


def measure(config: BenchConfig) -> Figure:
    return measured_by_driver(
        config,
        "sweep_reads",
        TITLE,
        needs=SWEEP_MODULES,
        missing="the reminder sweep (issue 5) is not in the tree",
        driver="workengine_tools.bench.sweep_measure",
    )
