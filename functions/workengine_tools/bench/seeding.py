"""Synthetic bundles and tasks, stored as real items (``workengine.dal.items``), and the fast way to put
them into moto's table; shared by the benchmark figures and the sweep's read-cost test (tests import this
module, never the other way round)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from workengine.dal.items import bundle_item, task_item
from workengine.domain.entities import Bundle, Task

BENCH_TEMPLATE = "bench"
TASKS_PER_LATER_BUNDLE = 100
DUE_PER_BUNDLE = 10


def bench_bundle(bundle_id: str, tenant_id: str, title: str, anchor_date: date, written: datetime) -> Bundle:
    return Bundle(
        bundle_id=bundle_id,
        tenant_id=tenant_id,
        template_id=BENCH_TEMPLATE,
        template_version="1",
        title=title,
        anchor_date=anchor_date,
        stage="work",
        owner="bench",
        created_by="bench",
        created_at=written,
        updated_at=written,
    )


def bench_task(
    number: int,
    task_id: str,
    bundle_id: str,
    tenant_id: str,
    *,
    steps: int,
    assignee: str,
    written: datetime,
    due_date: date | None = None,
    description: str | None = None,
) -> Task:
    """Task ``number`` of a ``steps``-step bench template."""
    return Task(
        task_id=task_id,
        bundle_id=bundle_id,
        tenant_id=tenant_id,
        template_id=BENCH_TEMPLATE,
        template_task_ref=f"step{number % steps}",
        position=number % steps,
        title=f"Task {number} with a realistic title of a few words",
        description=description,
        phase="work",
        assignee=assignee,
        due_date=due_date,
        created_at=written,
        updated_at=written,
    )


def due_task_items(task_count: int, due: int, now: datetime, tenant_id: str) -> list[dict[str, Any]]:
    """``task_count`` open tasks written 20 days before ``now``: ``due`` of them due the day after ``now``
    (their reminders fire now) in bundles of ``DUE_PER_BUNDLE``; the rest due over the next year, so they
    sit in the due index too, just in later day buckets."""
    written = now - timedelta(days=20)
    anchor = date(2026, 12, 1)
    due_bundles = -(-due // DUE_PER_BUNDLE)
    other_bundles = -(-(task_count - due) // TASKS_PER_LATER_BUNDLE)
    bundle_ids = [f"b_due_{b:04d}" for b in range(due_bundles)]
    bundle_ids += [f"b_later_{b:05d}" for b in range(other_bundles)]
    items = [
        bundle_item(bench_bundle(bundle_id, tenant_id, f"Bench bundle {bundle_id}", anchor, written))
        for bundle_id in bundle_ids
    ]
    for index in range(task_count):
        if index < due:
            bundle_id = f"b_due_{index // DUE_PER_BUNDLE:04d}"
            due_date = now.date() + timedelta(days=1)
        else:
            later = index - due
            bundle_id = f"b_later_{later // TASKS_PER_LATER_BUNDLE:05d}"
            due_date = now.date() + timedelta(days=30 + later % 330)
        task = bench_task(
            index,
            f"t_bench_{index:06d}",
            bundle_id,
            tenant_id,
            steps=10,
            assignee=f"user{index % 7}",
            written=written,
            due_date=due_date,
        )
        items.append(task_item(task))
    return items


def put_items_into_moto(items: list[dict[str, Any]]) -> None:
    """Puts stored items straight into the configured table of the active ``mock_aws`` backend: moto's
    per-request path (HTTP model, O(n^2) item-size check per attribute) would take minutes for tens of
    thousands of items, and only what is read back afterwards is measured."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamo_type, dynamodb_backends

    from workengine.dal import aws
    from workengine.settings import get_settings

    region = aws.session().region_name
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables[get_settings().table_name]
    checked = dynamo_type.LimitedSizeDict.__setitem__
    dynamo_type.LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[method-assign,assignment]
    try:
        for item in items:
            table.put_item(item)
    finally:
        dynamo_type.LimitedSizeDict.__setitem__ = checked  # type: ignore[method-assign]
