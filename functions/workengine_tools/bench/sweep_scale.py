"""Figure: the sweep at scale — 1,000 / 10,000 (/ 100,000 with ``--sweep-100k``) tasks due at once.

Runs the design as deployed, on moto in-process: the scheduled run fans the ``DUE_SHARDS`` shards out
through a handover (an in-memory queue standing in for SQS), and each work item is one worker
invocation whose time budget is a fixed number of pages (``PAGES_PER_INVOCATION``: what a 300 s worker
with a 60 s reserve sweeps at the documented latencies); a worker out of budget hands its remainder on.

Reported per scale: DynamoDB requests per due task (counted by a botocore hook; the goal is <= 1.5),
peak Python memory of one shard worker's invocation, which sweeps 1/16 of the due tasks (tracemalloc:
the peak above what remains allocated afterwards, because
moto's in-process table keeps every reminder written, which DynamoDB would not hold in our process; the
goal is "flat": it must not grow with the number due), worker invocations and handovers, and a
projection of wall time on DynamoDB for 1,000,000 due from the measured request mix, the latencies
below and the design's parallelism (one worker per shard).
"""

from __future__ import annotations

import contextlib
import io
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from workengine_tools.bench.figure import BenchConfig, Figure

SCALES = (1_000, 10_000)
LARGE_SCALE = 100_000
QUICK_SCALES = (200, 1_000)
REQUESTS_PER_DUE_GOAL = 1.5
MEMORY_FLAT_FACTOR = 3.0  # peak at the largest scale within this factor of the smallest's
PROJECTED_DUE = 1_000_000
# Documented per-request latencies on DynamoDB / EventBridge / SQS (same region, warm connections):
# single-item-class reads ~5-10 ms, a 100-item transaction ~30-60 ms, PutEvents of 10 entries ~20-40 ms.
LATENCY_MS = {
    "Query": 10.0,
    "BatchGetItem": 15.0,
    "TransactWriteItems": 50.0,
    "PutEvents": 30.0,
    "SendMessage": 15.0,
}
WORKER_SECONDS = 300 - 60  # worker timeout minus the hand-over reserve
PAGE_SIZE = 100
HOOK_ID = "workengine-bench-sweep-scale"
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@dataclass
class RequestCounter:
    active: bool = False
    counts: Counter[str] = field(default_factory=Counter)

    def __call__(self, model: Any, **_: Any) -> None:
        if self.active:
            self.counts[model.name] += 1

    @contextlib.contextmanager
    def counting(self) -> Iterator[RequestCounter]:
        self.counts.clear()
        self.active = True
        try:
            yield self
        finally:
            self.active = False

    def dynamodb(self) -> int:
        return sum(n for name, n in self.counts.items() if name in DYNAMODB_OPERATIONS)


DYNAMODB_OPERATIONS = frozenset(
    {"Query", "BatchGetItem", "TransactWriteItems", "GetItem", "PutItem", "UpdateItem"}
)
COUNTER = RequestCounter()


@dataclass(frozen=True)
class ScaleSample:
    due: int
    counts: dict[str, int]
    dynamodb_requests: int
    peak_mb: float
    invocations: int
    handovers: int
    seconds: float
    created: int


class PagesBudget:
    def __init__(self, pages: int) -> None:
        self.left = pages

    def exhausted(self) -> bool:
        self.left -= 1
        return self.left <= 0


class MemoryQueue:
    def __init__(self) -> None:
        from workengine.domain.sweep_shards import ShardWork

        self.items: list[ShardWork] = []

    def hand_over(self, work: Sequence[Any]) -> None:
        self.items.extend(work)


def pages_per_invocation() -> int:
    """Pages a worker sweeps in ``WORKER_SECONDS`` at the documented latencies (about 6 requests and 10
    PutEvents per 100-task page)."""
    page_ms = (
        LATENCY_MS["Query"]
        + 2 * LATENCY_MS["BatchGetItem"]
        + 3 * LATENCY_MS["TransactWriteItems"]
        + PAGE_SIZE / 10 * LATENCY_MS["PutEvents"]
    )
    return max(1, int(WORKER_SECONDS * 1000 // page_ms))


def scales_for(config: BenchConfig) -> tuple[int, ...]:
    if config.quick:
        return QUICK_SCALES
    return (*SCALES, LARGE_SCALE) if config.sweep_large else SCALES


def measure(config: BenchConfig, title: str) -> Figure:
    samples = [measure_one(due, pages_per_invocation()) for due in scales_for(config)]
    return figure_of(samples, title)


def measure_one(due: int, pages: int) -> ScaleSample:
    """Seeds ``due`` tasks due at ``NOW`` and runs the fan-out sweep to completion."""
    from workengine.composition import Container
    from workengine.dal import aws
    from workengine.settings import get_settings
    from workengine_tools.bench.harness import moto_environment, repo_content_dir
    from workengine_tools.bench.moto_transactions import item_level_rollback
    from workengine_tools.bench.seeding import due_task_items, put_items_into_moto

    aws.session().events.register("before-call", COUNTER, unique_id=HOOK_ID)
    with moto_environment(repo_content_dir()), item_level_rollback():
        put_items_into_moto(due_task_items(due, due, NOW, "bench"))
        queue = MemoryQueue()
        settings = get_settings().model_copy(update={"sweep_page_size": PAGE_SIZE})
        service = Container(settings, sweep_handover=queue).sweep_service
        sink = io.StringIO()  # Powertools prints EMF metrics to stdout
        invocations = created = handovers = 0
        peak = 0
        with contextlib.redirect_stdout(sink), COUNTER.counting() as counter:
            started = time.perf_counter()
            service.run(NOW)  # the fan-out: one work item per shard
            while queue.items:
                work = queue.items.pop(0)
                traced = invocations == 0  # one whole invocation traced: tracemalloc slows moto ~3x
                if traced:
                    tracemalloc.start()
                    baseline = tracemalloc.get_traced_memory()[0]
                shard_report = service.sweep_shard(work, PagesBudget(pages))
                if traced:
                    current, top = tracemalloc.get_traced_memory()
                    tracemalloc.stop()
                    # moto keeps every reminder written (the fake database's memory, growing with the
                    # number due): the sweep's working set is the peak above what stays allocated.
                    peak = top - max(current, baseline)
                invocations += 1
                created += shard_report.created
                handovers += shard_report.handed_over
            seconds = time.perf_counter() - started
    return ScaleSample(
        due=due,
        counts=dict(counter.counts),
        dynamodb_requests=counter.dynamodb(),
        peak_mb=peak / 1e6,
        invocations=invocations,
        handovers=handovers,
        seconds=seconds,
        created=created,
    )


def projected_seconds(sample: ScaleSample, due: int, workers: int) -> float:
    """Wall time for ``due`` tasks: the measured request mix scaled to ``due``, at ``LATENCY_MS``, spread
    over ``workers`` shards working in parallel."""
    total_ms = sum(LATENCY_MS.get(name, 10.0) * n * due / sample.due for name, n in sample.counts.items())
    return total_ms / 1000 / workers


def figure_of(samples: list[ScaleSample], title: str) -> Figure:
    from workengine.dal.due_index import DUE_SHARDS

    figure = Figure(
        key="sweep_scale",
        title=title,
        columns=[
            "due",
            "DynamoDB requests",
            "requests per due",
            "peak MB",
            "worker invocations",
            "handovers",
            "moto s",
            "1M due projected s",
        ],
        goal=f"<= {REQUESTS_PER_DUE_GOAL} DynamoDB requests per due task; peak memory flat in the number due",
    )
    for s in samples:
        figure.rows.append(
            {
                "due": s.due,
                "DynamoDB requests": s.dynamodb_requests,
                "requests per due": round(s.dynamodb_requests / s.due, 3),
                "peak MB": round(s.peak_mb, 1),
                "worker invocations": s.invocations,
                "handovers": s.handovers,
                "moto s": round(s.seconds, 1),
                "1M due projected s": round(projected_seconds(s, PROJECTED_DUE, DUE_SHARDS)),
            }
        )
    if not samples:
        return figure
    worst = max(s.dynamodb_requests / s.due for s in samples)
    requests_ok = worst <= REQUESTS_PER_DUE_GOAL and all(s.created == s.due for s in samples)
    growth = samples[-1].peak_mb / max(samples[0].peak_mb, 0.001)
    memory_ok = growth <= MEMORY_FLAT_FACTOR
    largest = samples[-1]
    projection = projected_seconds(largest, PROJECTED_DUE, DUE_SHARDS)
    figure.notes.append(
        f"{'PASS' if requests_ok else 'MISS'}: at most {worst:.3f} DynamoDB requests per due task "
        f"(goal <= {REQUESTS_PER_DUE_GOAL}); every due task got its reminder once"
    )
    first, verdict = samples[0], "PASS" if memory_ok else "MISS"
    figure.notes.append(
        f"{verdict}: peak memory of a shard worker {first.peak_mb:.1f} MB at {first.due:,} due, "
        f"{largest.peak_mb:.1f} MB at {largest.due:,} due (x{growth:.1f} for x{largest.due // first.due} "
        f"the due tasks; goal: within x{MEMORY_FLAT_FACTOR:g}); pages of {PAGE_SIZE} tasks"
    )
    figure.notes.append(
        f"1,000,000 due projected from the {largest.due:,}-due request mix at "
        + ", ".join(f"{k} {v:g} ms" for k, v in LATENCY_MS.items())
        + f", {DUE_SHARDS} shard workers in parallel: about {projection / 60:.1f} min wall time "
        f"({projection * DUE_SHARDS / WORKER_SECONDS:.0f} worker invocations of {WORKER_SECONDS} s, "
        f"i.e. ~{projection * DUE_SHARDS / WORKER_SECONDS / DUE_SHARDS:.0f} handovers per shard)"
    )
    figure.notes.append(
        f"a worker invocation here sweeps {pages_per_invocation()} pages (what fits in {WORKER_SECONDS} s at "
        "those latencies), then hands the rest of its shard on; 'moto s' is moto's time, which grows with "
        "the table (moto reads an index Query by sorting every item), unlike DynamoDB"
    )
    return figure
