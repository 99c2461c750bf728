"""Driver of the reminder-sweep figure: items read and time of one sweep at growing task counts, with
the same number of tasks due at every size (moto in-process, one fresh backend per size).

The sweep reads the sparse due index (today's buckets and the lookback), never the tasks, so the items
it reads must follow the due tasks, not the table: the goal is ``items read <= 2 x due`` at every size.

Items read are counted by a botocore ``after-call`` hook on the shared session (Query/Scan ``Count``,
BatchGetItem responses, GetItem hits), registered before the sweep creates its clients.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from workengine.bench.figure import BenchConfig, Figure
from workengine.bench.harness import BENCH_ENV, _restore_env, repo_content_dir

FULL_SCALES = (1_000, 10_000, 50_000)
FULL_DUE = 100
QUICK_SCALES = (200, 1_000, 2_000)
QUICK_DUE = 20
TASKS_PER_BUNDLE = 100
DUE_PER_BUNDLE = 10
READS_PER_DUE_GOAL = 2
HOOK_ID = "workengine-bench-sweep-reads"
TENANT = "bench"
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@dataclass
class ItemReads:
    """Items DynamoDB returned while ``active``; ``query_items`` is the Query ``Count`` alone."""

    active: bool = False
    items: int = 0
    query_items: int = 0
    requests: int = 0

    def __call__(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if not self.active:
            return
        self.requests += 1
        if model.name in ("Query", "Scan"):
            count = int(parsed.get("Count", 0))
            self.items += count
            if model.name == "Query":
                self.query_items += count
        elif model.name == "BatchGetItem":
            self.items += sum(len(found) for found in parsed.get("Responses", {}).values())
        elif model.name == "GetItem" and "Item" in parsed:
            self.items += 1

    @contextlib.contextmanager
    def counting(self) -> Iterator[ItemReads]:
        self.items = self.query_items = self.requests = 0
        self.active = True
        try:
            yield self
        finally:
            self.active = False


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
    """Seeds ``task_count`` open tasks of which ``due`` fall due by ``NOW``, then times one sweep."""
    with _backend():
        from workengine.handlers.sweep import run_sweep
        from workengine.settings import get_settings

        _seed(build_items(task_count, due))
        sink = io.StringIO()  # Powertools prints EMF metrics to stdout
        with contextlib.redirect_stdout(sink), READS.counting() as reads:
            started = time.perf_counter()
            report = run_sweep(NOW, get_settings())
            seconds = time.perf_counter() - started
    return SweepSample(
        tasks=task_count,
        due=due,
        items_read=reads.items,
        query_items=reads.query_items,
        requests=reads.requests,
        seconds=seconds,
        tasks_examined=report.tasks_examined,
        reminders_created=len(report.reminders_created),
        published=report.published,
    )


@contextlib.contextmanager
def _backend() -> Iterator[None]:
    """Bench environment + ``mock_aws`` + provisioned table/bucket/bus; the hook is on the session
    before any client of the sweep exists (clients copy their session's hooks when created)."""
    from moto import mock_aws

    from workengine.dal import aws
    from workengine.local.backend import provision
    from workengine.settings import get_settings

    names = [*BENCH_ENV, "WORKENGINE_CONTENT_PATH", "AWS_ENDPOINT_URL"]
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(BENCH_ENV)
    os.environ["WORKENGINE_CONTENT_PATH"] = str(repo_content_dir())
    os.environ.pop("AWS_ENDPOINT_URL", None)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    aws.session().events.register("after-call.dynamodb", READS, unique_id=HOOK_ID)
    get_settings.cache_clear()
    try:
        with mock_aws():
            provision(get_settings())
            yield
    finally:
        get_settings.cache_clear()
        _restore_env(saved)


def build_items(task_count: int, due: int) -> list[dict[str, Any]]:
    """``due`` tasks due tomorrow (their reminders fire now) in bundles of ``DUE_PER_BUNDLE``; the rest
    are due over the next year, so they sit in the due index too, just in later day buckets."""
    from workengine.dal.items import bundle_item, task_item

    written = NOW - timedelta(days=20)
    items: list[dict[str, Any]] = []
    due_bundles = -(-due // DUE_PER_BUNDLE)
    other_bundles = -(-(task_count - due) // TASKS_PER_BUNDLE)
    items.extend(bundle_item(_bundle(f"b_due_{b:04d}", written)) for b in range(due_bundles))
    items.extend(bundle_item(_bundle(f"b_later_{b:05d}", written)) for b in range(other_bundles))
    for index in range(task_count):
        if index < due:
            bundle_id = f"b_due_{index // DUE_PER_BUNDLE:04d}"
            due_date = NOW.date() + timedelta(days=1)
        else:
            later = index - due
            bundle_id = f"b_later_{later // TASKS_PER_BUNDLE:05d}"
            due_date = NOW.date() + timedelta(days=30 + later % 330)
        items.append(task_item(_task(index, bundle_id, due_date, written)))
    return items


def _task(index: int, bundle_id: str, due: date, written: datetime) -> Any:
    from workengine.domain.entities import Task

    return Task(
        task_id=f"t_bench_{index:06d}",
        bundle_id=bundle_id,
        tenant_id=TENANT,
        template_id="bench",
        template_task_ref=f"step{index % 10}",
        position=index % 10,
        title=f"Task {index} with a realistic title of a few words",
        phase="work",
        assignee=f"user{index % 7}",
        due_date=due,
        created_at=written,
        updated_at=written,
    )


def _bundle(bundle_id: str, written: datetime) -> Any:
    from workengine.domain.entities import Bundle

    return Bundle(
        bundle_id=bundle_id,
        tenant_id=TENANT,
        template_id="bench",
        template_version="1",
        title=f"Bench bundle {bundle_id}",
        anchor_date=date(2026, 12, 1),
        stage="work",
        owner="bench",
        created_by="bench",
        created_at=written,
        updated_at=written,
    )


def _seed(items: list[dict[str, Any]]) -> None:
    """Puts items straight into moto's table: its per-request path (HTTP model, O(n^2) item-size check
    per attribute) would take minutes for 50,000 items, and only the sweep's reads are measured.
    The same shortcut as the integration test of the sweep (copied: the benchmark never imports tests)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamo_type, dynamodb_backends

    from workengine.settings import get_settings

    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables[get_settings().table_name]
    checked = dynamo_type.LimitedSizeDict.__setitem__
    dynamo_type.LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[method-assign,assignment]
    try:
        for item in items:
            table.put_item(item)
    finally:
        dynamo_type.LimitedSizeDict.__setitem__ = checked  # type: ignore[method-assign]
