"""Figure: export — records per second and tracemalloc peak at growing task counts (memory must stay
flat: records stream to files). Needs ``workengine.services.export_service`` (issue 6)."""

from __future__ import annotations

import importlib

from workengine.bench.figure import BenchConfig, Figure, not_available
from workengine.bench.imports import module_exists

TITLE = "Export: records/s and peak memory at growing task counts"


def measure(config: BenchConfig) -> Figure:
    if not module_exists("workengine.services.export_service"):
        return not_available("export", TITLE, "the export service (issue 6) is not in the tree")
    if not module_exists("workengine.bench.export_measure"):
        return not_available("export", TITLE, "the benchmark driver for it is not written yet")
    driver = importlib.import_module("workengine.bench.export_measure")
    figure: Figure = driver.measure(config, TITLE)
    return figure
