"""The export benchmark's synthetic run: counts are right and the exporter's peak memory stays flat."""

from __future__ import annotations

from workengine_tools.bench.export_bench import export_memory_benchmark


def test_export_peak_memory_does_not_grow_with_the_tenant() -> None:
    small, large = export_memory_benchmark([100, 1500])

    assert (small.records, large.records) == (102, 1530)  # tasks + one bundle per 50 tasks
    assert large.records_per_second > 0
    # Fifteen times the records; a streaming exporter's peak stays within a small constant factor.
    assert large.peak_bytes < 2 * small.peak_bytes
