"""Figure: ``GET /attention`` — DynamoDB requests and items read at growing tenant sizes with the
caller's own work fixed (moto in-process, one fresh backend per size, the real API handler).

The caller has 20 open tasks in 5 bundles of 10 tasks and 2 tasks of other people escalated to them
(each in a bundle of 10); everybody else's open tasks fill bundles of 100. Reads must follow the
caller's work, not the tenant: the goal is the same requests and items read at every size.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from workengine_tools.bench.figure import BenchConfig, Figure

FULL_SCALES = (100, 10_000)
QUICK_SCALES = (100, 1_000)
TENANT = "bench"
CALLER = "me"
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
MY_BUNDLES, MY_TASKS_PER_BUNDLE, BUNDLE_SIZE, ESCALATED = 5, 4, 10, 2
FILLER_BUNDLE_SIZE = 100
HOOK_ID = "workengine-bench-attention"


@dataclass
class _Reads:
    """botocore ``after-call.dynamodb``: requests by operation and items returned while active."""

    active: bool = False
    items: int = 0
    operations: Counter[str] = field(default_factory=Counter)

    def __call__(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if self.active:
            self.operations[model.name] += 1
            self.items += int(parsed.get("Count", 0))

    @contextlib.contextmanager
    def counting(self) -> Iterator[_Reads]:
        self.items, self.operations = 0, Counter()
        self.active = True
        try:
            yield self
        finally:
            self.active = False


READS = _Reads()


@dataclass(frozen=True)
class AttentionSample:
    tenant_tasks: int
    caller_tasks: int
    items_returned: int
    requests: int
    operations: dict[str, int]
    items_read: int
    seconds: float


def tenant_items(total: int) -> list[dict[str, Any]]:
    """``total`` open tasks: the caller's fixed work (see the module docstring), then filler."""
    from workengine.dal.items import bundle_item, task_item
    from workengine.domain.entities import Escalation
    from workengine_tools.bench.seeding import bench_bundle, bench_task

    written = NOW - timedelta(days=20)
    items: list[dict[str, Any]] = []
    number = 0

    def bundle(bundle_id: str, size: int, mine: int = 0, escalated: int = 0) -> None:
        nonlocal number
        items.append(
            bundle_item(bench_bundle(bundle_id, TENANT, f"Bundle {bundle_id}", date(2027, 1, 1), written))
        )
        for position in range(size):
            assignee = CALLER if position < mine else f"user{number % 7}"
            task = bench_task(
                number, f"t_{number:06d}", bundle_id, TENANT, steps=size, assignee=assignee, written=written,
                due_date=NOW.date() + timedelta(days=(number % 40) - 10),
            )  # fmt: skip
            if position < escalated:
                task.escalations.append(Escalation(to=CALLER, by="lead", reason="stuck", at=written))
            items.append(task_item(task))
            number += 1

    for index in range(MY_BUNDLES):
        bundle(f"b_mine_{index}", BUNDLE_SIZE, mine=MY_TASKS_PER_BUNDLE)
    for index in range(ESCALATED):
        bundle(f"b_escalated_{index}", BUNDLE_SIZE, escalated=1)
    index = 0
    while number < total:
        bundle(f"b_other_{index:05d}", min(FILLER_BUNDLE_SIZE, total - number))
        index += 1
    return items


def measure_one(total: int) -> AttentionSample:
    from workengine.dal import aws
    from workengine.handlers.api.app import lambda_handler
    from workengine_tools.bench.harness import caller_claims, moto_environment, repo_content_dir
    from workengine_tools.bench.seeding import put_items_into_moto
    from workengine_tools.local.events import LocalLambdaContext, http_api_event

    aws.session().events.register("after-call.dynamodb", READS, unique_id=HOOK_ID)
    with moto_environment(repo_content_dir()):
        put_items_into_moto(tenant_items(total))
        event = http_api_event(
            "GET", "/attention", query={"limit": "500"}, claims=caller_claims(TENANT, CALLER, "member")
        )
        with contextlib.redirect_stdout(io.StringIO()), READS.counting() as reads:
            started = time.perf_counter()
            response = lambda_handler(event, LocalLambdaContext())
            seconds = time.perf_counter() - started
    body = json.loads(response["body"])
    if response["statusCode"] != 200:
        raise RuntimeError(f"GET /attention answered {response['statusCode']}: {body}")
    return AttentionSample(
        tenant_tasks=total,
        caller_tasks=MY_BUNDLES * MY_TASKS_PER_BUNDLE + ESCALATED,
        items_returned=len(body["items"]),
        requests=sum(reads.operations.values()),
        operations=dict(sorted(reads.operations.items())),
        items_read=reads.items,
        seconds=seconds,
    )


def measure(config: BenchConfig, title: str) -> Figure:
    samples = [measure_one(total) for total in (QUICK_SCALES if config.quick else FULL_SCALES)]
    figure = Figure(
        key="attention",
        title=title,
        columns=[
            "open tasks in tenant",
            "caller's open tasks",
            "items returned",
            "requests",
            "by DynamoDB operation",
            "items read",
            "handler ms",
        ],
        goal="requests and items read the same at every tenant size (bounded by the caller's work)",
    )
    for sample in samples:
        figure.rows.append(
            {
                "open tasks in tenant": sample.tenant_tasks,
                "caller's open tasks": sample.caller_tasks,
                "items returned": sample.items_returned,
                "requests": sample.requests,
                "by DynamoDB operation": ", ".join(f"{name} {n}" for name, n in sample.operations.items()),
                "items read": sample.items_read,
                "handler ms": round(sample.seconds * 1000, 1),
            }
        )
    flat = len({(s.requests, s.items_read) for s in samples}) == 1 and all(
        "Scan" not in s.operations for s in samples
    )
    figure.goal_met = bool(samples) and flat
    figure.notes.append(
        f"{'PASS' if flat else 'MISS'}: requests {', '.join(str(s.requests) for s in samples)}"
        f" and items read {', '.join(str(s.items_read) for s in samples)} at "
        f"{', '.join(str(s.tenant_tasks) for s in samples)} open tasks; no Scan"
    )
    figure.notes.append(
        "the caller: 20 open tasks in 5 bundles of 10, plus 2 tasks escalated to them in bundles of 10; "
        "requests = 3 assignee-index Queries (todo, in_progress, waiting) + 1 escalation Query + 1 Query "
        "per bundle; items read = the caller's tasks + the bundles' items (bundle and tasks)"
    )
    figure.notes.append(
        "handler ms grows with the table only on moto, which answers an index Query by iterating every item"
    )
    return figure
