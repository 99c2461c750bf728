"""Figure: export — records per second and tracemalloc peak at growing task counts (memory must stay
flat: records stream to files). Needs ``workengine.services.export_service`` (issue 6)."""

from __future__ import annotations

from workengine_tools.bench.figure import BenchConfig, Figure, measured_by_driver

TITLE = "Export: records/s and peak memory at growing task counts"


def measure(config: BenchConfig) -> Figure:
    return measured_by_driver(
        config,
        "export",
        TITLE,
        needs=("workengine.services.export_service",),
        missing="the export service (issue 6) is not in the tree",
        driver="workengine_tools.bench.export_measure",
    )
