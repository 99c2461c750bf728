"""Figure: DynamoDB requests per API operation, counted by botocore's ``before-call`` hook."""

from __future__ import annotations

from workengine_tools.bench.figure import BenchConfig, Figure
from workengine_tools.bench.harness import RECORDER, BenchBackend
from workengine_tools.bench.operations import Operation, default_operations, run_trial


def measure(config: BenchConfig, backend: BenchBackend, operations: list[Operation] | None = None) -> Figure:
    figure = Figure(
        key="dynamodb_requests",
        title="DynamoDB requests per API operation",
        columns=["operation", "requests", "by DynamoDB operation"],
    )
    for operation in operations or default_operations(config.quick):
        with backend.scratch():
            operation.setup(backend)
            trial = operation.prepare(backend)
            with RECORDER.recording() as recorded:
                run_trial(backend, operation, trial)
        counts = dict(sorted(recorded.counts.items()))
        figure.rows.append(
            {
                "operation": operation.name,
                "requests": sum(counts.values()),
                "by DynamoDB operation": ", ".join(f"{name} {n}" for name, n in counts.items()),
            }
        )
    return figure
