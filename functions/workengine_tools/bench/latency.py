"""Figure: handler latency per API operation against its floor.

The floor is the very DynamoDB requests the handler made (recorded by botocore's
``provide-client-params`` hook) issued again, directly, with a boto3 client: for a read the same
Query/GetItem, for a write the same TransactWriteItems aimed at an identical twin. Handler and floor
alternate call by call, so a noisy machine slows both alike. Writes run on a table holding only their own
items (see ``BenchBackend.scratch``).
"""

from __future__ import annotations

import contextlib

from workengine_tools.bench.figure import BenchConfig, Figure, median, ms, p95
from workengine_tools.bench.harness import RECORDER, BenchBackend, substitute
from workengine_tools.bench.operations import Operation, default_operations, run_trial

GOAL_RATIO = 1.3
WARMUP_CALLS = 2


def measure(config: BenchConfig, backend: BenchBackend, operations: list[Operation] | None = None) -> Figure:
    operations = operations or default_operations(config.quick)
    iterations = 2 if config.quick else config.iterations
    warmup = 1 if config.quick else WARMUP_CALLS
    handler: dict[str, list[float]] = {op.name: [] for op in operations}
    floor: dict[str, list[float]] = {op.name: [] for op in operations}
    for operation in operations:
        with backend.scratch():
            operation.setup(backend)
            for round_number in range(warmup + iterations):
                with backend.scratch() if operation.writes else contextlib.nullcontext():
                    trial = operation.prepare(backend)
                    keys_before = backend.item_keys() if trial.reset_before_floor else set()
                    with RECORDER.recording() as recorded:
                        result = run_trial(backend, operation, trial)
                    calls = substitute(list(recorded.calls), trial.twin(result))
                    if trial.reset_before_floor:
                        backend.put_or_delete(delete=sorted(backend.item_keys() - keys_before))
                    floor_seconds = backend.replay(calls)
                if round_number >= warmup:
                    handler[operation.name].append(result.seconds)
                    floor[operation.name].append(floor_seconds)
    figure = Figure(
        key="handler_latency",
        title=f"Handler latency vs. the same DynamoDB calls made directly (n={iterations} each)",
        columns=[
            "operation",
            "handler p50 ms",
            "handler p95 ms",
            "floor p50 ms",
            "floor p95 ms",
            "overhead p50 ms",
            "ratio p50",
        ],
        goal=f"ratio p50 <= {GOAL_RATIO}",
    )
    for operation in operations:
        h, f = handler[operation.name], floor[operation.name]
        ratio = median(h) / median(f) if median(f) > 0 else float("nan")
        figure.rows.append(
            {
                "operation": operation.name,
                "handler p50 ms": ms(median(h)),
                "handler p95 ms": ms(p95(h)),
                "floor p50 ms": ms(median(f)),
                "floor p95 ms": ms(p95(f)),
                "overhead p50 ms": ms(median(h) - median(f)),
                "ratio p50": round(ratio, 2),
            }
        )
    over = [row["operation"] for row in figure.rows if row["ratio p50"] > GOAL_RATIO]
    figure.goal_met = bool(figure.rows) and not over
    figure.notes.append(
        "floor = the handler's own DynamoDB requests replayed with boto3 on the same moto backend"
    )
    figure.notes.append(
        "moto answers a request far slower than DynamoDB does, which flatters the ratio; "
        "the overhead column (handler minus floor) is the figure that carries over to AWS"
    )
    if over:
        figure.notes.append(f"over the goal ({GOAL_RATIO}): {', '.join(over)}")
    return figure
