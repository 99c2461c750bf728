"""Driver of the reminder-sweep figure: items read and time of one sweep at growing task counts, with
the same number of tasks due at every size (moto in-process, one fresh backend per size).

The sweep reads the sparse due index (the due front of each time-ordered shard), never the tasks, so the items
it reads must follow the due tasks, not the table: the goal is ``items read <= 2 x due`` at every size.

Items read are counted by a botocore ``after-call`` hook on the shared session (Query/Scan ``Count``,
BatchGetItem responses, GetItem hits), registered before the sweep creates its clients.
"""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from workengine_tools.bench.figure import BenchConfig, Figure
from workengine_tools.bench.harness import ItemReads, moto_environment, repo_content_dir

FULL_SCALES = (1_000, 10_000, 50_000)
FULL_DUE = 100
QUICK_SCALES = (200, 1_000, 2_000)
QUICK_DUE = 20
READS_PER_DUE_GOAL = 2
HOOK_ID = "workengine-bench-sweep-reads"
TENANT = "bench"
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


READS = ItemReads()


@dataclass(frozen=True)
class SweepSample:
    tasks: int
    due: int
    items_read: int
    query_items: int
    requests: int
    seconds: float
    tasks_examined: int
    reminders_created: int
    published: int


def scales_for(config: BenchConfig) -> tuple[tuple[int, ...], int]:
    return (QUICK_SCALES, QUICK_DUE) if config.quick else (FULL_SCALES, FULL_DUE)


def measure(config: BenchConfig, title: str) -> Figure:
    scales, due = scales_for(config)
    samples = [measure_one(count, due) for count in scales]
    return figure_of(samples, title)


def figure_of(samples: list[SweepSample], title: str) -> Figure:
    figure = Figure(
        key="sweep_reads",
        title=title,
        columns=[
            "tasks",
            "due",
            "items read",
            "of which Query",
            "requests",
            "reads per due",
            "sweep ms",
            "reminders created",
        ],
        goal=f"items read <= {READS_PER_DUE_GOAL} x due at every size (flat as the table grows)",
    )
    for sample in samples:
        figure.rows.append(
            {
                "tasks": sample.tasks,
                "due": sample.due,
                "items read": sample.items_read,
                "of which Query": sample.query_items,
                "requests": sample.requests,
                "reads per due": round(sample.items_read / sample.due, 2),
                "sweep ms": round(sample.seconds * 1000, 1),
                "reminders created": sample.reminders_created,
            }
        )
    failing = [s for s in samples if s.items_read > READS_PER_DUE_GOAL * s.due]
    figure.goal_met = bool(samples) and not failing
    verdict = "FAIL" if failing else "PASS"
    reads = ", ".join(str(s.items_read) for s in samples)
    figure.notes.append(
        f"{verdict}: items read {reads} for {samples[0].due if samples else 0} due "
        f"(goal <= {READS_PER_DUE_GOAL} x due)"
        + (f"; over the goal at {', '.join(str(s.tasks) for s in failing)} tasks" if failing else "")
    )
    figure.notes.append(
        "one sweep per size on a fresh moto backend; tasks seeded straight into moto's table "
        "(real task items, index keys included); the time includes writing the reminders, advancing "
        "the due tasks and PutEvents"
    )
    figure.notes.append(
        "sweep ms grows with the table only on moto, which answers an index Query by iterating every item "
        "of the table; DynamoDB reads just the queried index partition, so items read and requests are "
        "the figures that carry over"
    )
    return figure


def measure_one(task_count: int, due: int) -> SweepSample:
    """Seeds ``task_count`` open tasks of which ``due`` fall due by ``NOW``, then times one sweep. The hook
    is on the session before any client of the sweep exists (clients copy their session's hooks)."""
    from workengine.dal import aws
    from workengine.handlers.sweep import run_sweep
    from workengine_tools.bench.seeding import due_task_items, put_items_into_moto

    aws.session().events.register("after-call.dynamodb", READS, unique_id=HOOK_ID)
    with moto_environment(repo_content_dir()):
        put_items_into_moto(due_task_items(task_count, due, NOW, TENANT))
        sink = io.StringIO()  # Powertools prints EMF metrics to stdout
        with contextlib.redirect_stdout(sink), READS.counting() as reads:
            started = time.perf_counter()
            report = run_sweep(NOW)
            seconds = time.perf_counter() - started
    return SweepSample(
        tasks=task_count,
        due=due,
        items_read=reads.items,
        query_items=reads.query_items,
        requests=reads.requests,
        seconds=seconds,
        tasks_examined=report.tasks_examined,
        reminders_created=report.created,
        published=report.published,
    )
