"""Driver of the export figure: records per second and tracemalloc peak of a tenant export at growing
task counts (``workengine_tools.bench.export_bench``).

The synthetic source streams generated stored items (the exporter alone, at every size); the moto row
exports through real paginated Queries on an in-process table, at the smallest size only (moto answers
each page slowly). Memory must stay flat: the goal is ``peak at the largest size <= 1.5 x peak at the
smallest``.
"""

from __future__ import annotations

import contextlib
import io

from workengine_tools.bench.export_bench import BenchResult, export_memory_benchmark
from workengine_tools.bench.figure import BenchConfig, Figure

FULL_SCALES = (1_000, 10_000, 50_000)
QUICK_SCALES = (200, 1_000, 2_000)
MOTO_SCALE = 1_000
QUICK_MOTO_SCALE = 200
PEAK_RATIO_GOAL = 1.5


def measure(config: BenchConfig, title: str) -> Figure:
    scales = QUICK_SCALES if config.quick else FULL_SCALES
    with contextlib.redirect_stdout(io.StringIO()):  # Powertools may print metrics
        synthetic = export_memory_benchmark(list(scales), backend="synthetic")
        moto = export_memory_benchmark([QUICK_MOTO_SCALE if config.quick else MOTO_SCALE], backend="moto")
    return figure_of(synthetic, moto, title)


def figure_of(synthetic: list[BenchResult], moto: list[BenchResult], title: str) -> Figure:
    figure = Figure(
        key="export",
        title=title,
        columns=["source", "tasks", "records", "seconds", "records/s", "peak MB", "peak / its smallest"],
        goal=f"peak at the largest size <= {PEAK_RATIO_GOAL} x peak at the smallest (synthetic source)",
    )
    for source, results in (("synthetic", synthetic), ("moto", moto)):
        smallest = results[0].peak_bytes if results else 0
        for result in results:
            figure.rows.append(
                {
                    "source": source,
                    "tasks": result.tasks,
                    "records": result.records,
                    "seconds": round(result.seconds, 2),
                    "records/s": round(result.records_per_second),
                    "peak MB": round(result.peak_bytes / 1e6, 2),
                    "peak / its smallest": round(result.peak_bytes / smallest, 2)
                    if smallest
                    else float("nan"),
                }
            )
    if synthetic:
        ratio = synthetic[-1].peak_bytes / max(synthetic[0].peak_bytes, 1)
        figure.goal_met = ratio <= PEAK_RATIO_GOAL
        verdict = "PASS" if figure.goal_met else "FAIL"
        figure.notes.append(
            f"{verdict}: peak {synthetic[-1].peak_bytes / 1e6:.2f} MB at {synthetic[-1].tasks} tasks is "
            f"{ratio:.2f} x the {synthetic[0].peak_bytes / 1e6:.2f} MB at {synthetic[0].tasks} "
            f"(goal <= {PEAK_RATIO_GOAL} x)"
        )
    figure.notes.append(
        "synthetic = generated stored items streamed to the exporter (its own cost); moto = seeded "
        "in-process table exported through paginated Queries (dominated by moto's per-page cost)"
    )
    figure.notes.append(
        "peak = tracemalloc peak during the export alone (after seeding); records = every exported row "
        "(bundles + tasks)"
    )
    return figure
