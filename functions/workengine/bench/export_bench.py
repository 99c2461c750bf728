"""Export throughput and peak memory against tenant size (moto in-process; needs the dev extras).

``python -m workengine.bench.export_bench [--moto] 1000 10000 50000`` prints one line per size. The peak is
measured with tracemalloc around the export only (after seeding), so it shows what the exporter holds;
it should stay flat as the tenant grows, because records stream from paginated Queries to files.
"""

from __future__ import annotations

import os
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
_BATCH = 25


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
    from workengine.domain.entities import Bundle, Task

    now = datetime(2026, 1, 5, tzinfo=UTC)
    bundle_id = f"b_bench_{start:08d}"
    yield bundle_item(
        Bundle(
            bundle_id=bundle_id,
            tenant_id=tenant_id,
            template_id="bench",
            template_version="1",
            title=f"Bench bundle {start}",
            anchor_date=date(2026, 2, 1),
            stage="work",
            owner="bench",
            created_by="bench",
            created_at=now,
            updated_at=now,
        )
    )
    for number in range(start, stop):
        yield task_item(
            Task(
                task_id=f"t_bench_{number:08d}",
                bundle_id=bundle_id,
                tenant_id=tenant_id,
                template_id="bench",
                template_task_ref=f"step{number % TASKS_PER_BUNDLE}",
                position=number % TASKS_PER_BUNDLE,
                title=f"Task {number} with a realistic title of a few words",
                description="Check the numbers against the source system and attach the evidence.",
                phase="work",
                assignee="bench",
                created_at=now,
                updated_at=now,
            )
        )


def _seed(tenant_id: str, task_count: int) -> None:
    from workengine.dal.aws import client
    from workengine.settings import get_settings

    dynamodb = client("dynamodb")
    table = get_settings().table_name
    for start in range(0, task_count, TASKS_PER_BUNDLE):
        items = list(_bundle_items(tenant_id, start, min(start + TASKS_PER_BUNDLE, task_count)))
        for first in range(0, len(items), _BATCH):
            batch = [{"PutRequest": {"Item": item}} for item in items[first : first + _BATCH]]
            dynamodb.batch_write_item(RequestItems={table: batch})


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
    from moto import mock_aws

    from workengine.handlers.api import dependencies as deps
    from workengine.handlers.export_wiring import tenant_exporter
    from workengine.local.backend import provision
    from workengine.settings import get_settings

    for name, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws():
            deps.reset()
            provision(get_settings())
            _seed("bench", count)
            return _measure(tenant_exporter(get_settings()), count, scratch)
    finally:
        deps.reset()


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
