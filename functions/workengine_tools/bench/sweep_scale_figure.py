"""Figure: the sweep at scale — requests per due task, peak memory, handovers, 1M-due projection."""

from __future__ import annotations

from workengine_tools.bench.figure import BenchConfig, Figure, measured_by_driver

TITLE = "Reminder sweep at scale: all tasks due at once, fanned out to shard workers"


def measure(config: BenchConfig) -> Figure:
    return measured_by_driver(
        config,
        "sweep_scale",
        TITLE,
        needs=("workengine.services.sweep_work",),
        missing="the sharded sweep is not in the tree",
        driver="workengine_tools.bench.sweep_scale",
    )
