"""Export throughput and peak memory against tenant size (moto in-process; needs the dev extras).

``python -m workengine_tools.bench.export_bench [--moto] 1000 10000 50000`` prints one line per size.
The peak is measured with tracemalloc around the export only (after seeding), so it shows what the exporter
holds; it should stay flat as the tenant grows, because records stream from paginated Queries to files.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

TASKS_PER_BUNDLE = 50


@dataclass(frozen=True)
class BenchResult:
    tasks: int
    records: int
    seconds: float
    records_per_second: float
    peak_bytes: int


class SyntheticTenant:
    """A TenantItemSource that builds stored items on the fly (no backend): isolates the exporter's own
    cost and memory from the database emulator's."""

    def __init__(self, task_count: int) -> None:
        self.task_count = task_count

    def bundle_ids(self, tenant_id: str) -> Iterator[str]:
        for start in range(0, self.task_count, TASKS_PER_BUNDLE):
            yield f"b_bench_{start:08d}"

    def bundle_items(self, tenant_id: str, bundle_id: str) -> Iterator[dict[str, Any]]:
        start = int(bundle_id.rsplit("_", 1)[1])
        yield from _bundle_items(tenant_id, start, min(start + TASKS_PER_BUNDLE, self.task_count))

    def collection_items(self, tenant_id: str, collection: str) -> Iterator[dict[str, Any]]:
        return iter(())


def _bundle_items(tenant_id: str, start: int, stop: int) -> Iterator[dict[str, Any]]:
    from workengine.dal.items import bundle_item, task_item
    from workengine_tools.bench.seeding import bench_bundle, bench_task

    now = datetime(2026, 1, 5, tzinfo=UTC)
    bundle_id = f"b_bench_{start:08d}"
    yield bundle_item(bench_bundle(bundle_id, tenant_id, f"Bench bundle {start}", date(2026, 2, 1), now))
    for number in range(start, stop):
        yield task_item(
            bench_task(
                number,
                f"t_bench_{number:08d}",
                bundle_id,
                tenant_id,
                steps=TASKS_PER_BUNDLE,
                assignee="bench",
                written=now,
                description="Check the numbers against the source system and attach the evidence.",
            )
        )


def _seed(tenant_id: str, task_count: int) -> None:
    """The synthetic tenant's items, put into the moto table the moto run exports from."""
    from workengine_tools.bench.seeding import put_items_into_moto

    source = SyntheticTenant(task_count)
    bundle_ids = source.bundle_ids(tenant_id)
    put_items_into_moto([item for b in bundle_ids for item in source.bundle_items(tenant_id, b)])


def _measure(exporter: Any, count: int, scratch: Path) -> BenchResult:
    from workengine.services.export_service import DirectorySink

    started = time.perf_counter()
    manifest = exporter.export("bench", "x_timed", DirectorySink(scratch / "timed"))
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        exporter.export("bench", "x_traced", DirectorySink(scratch / "traced"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    records = sum(entry.count for entry in manifest.files)
    return BenchResult(count, records, seconds, records / max(seconds, 1e-9), peak)


def export_memory_benchmark(task_counts: list[int], backend: str = "synthetic") -> list[BenchResult]:
    """For each size, one timed export and one under tracemalloc (records/s, exporter's peak memory).

    ``backend="synthetic"`` streams generated items (the exporter alone); ``"moto"`` seeds an in-process
    moto table first and exports through real paginated Queries (slow: moto serialises every page).
    """
    from workengine.services.export_service import TenantExporter

    results = []
    for count in task_counts:
        with tempfile.TemporaryDirectory() as scratch:
            if backend == "synthetic":
                results.append(_measure(TenantExporter(SyntheticTenant(count)), count, Path(scratch)))
            else:
                results.append(_measure_on_moto(count, Path(scratch)))
    return results


def _measure_on_moto(count: int, scratch: Path) -> BenchResult:
    from workengine.composition import container
    from workengine_tools.bench.harness import moto_environment

    with moto_environment():
        _seed("bench", count)
        return _measure(container().tenant_exporter, count, scratch)


def main(argv: list[str]) -> int:
    backend = "moto" if "--moto" in argv else "synthetic"
    sizes = [int(arg) for arg in argv if arg != "--moto"] or [1000, 10000, 50000]
    print(f"backend: {backend}")
    for result in export_memory_benchmark(sizes, backend):
        print(
            f"{result.tasks:>7} tasks: {result.records:>7} records in {result.seconds:6.1f}s "
            f"({result.records_per_second:8.0f} records/s), peak {result.peak_bytes / 1e6:6.1f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
