"""Statistics from counters: buckets and percentiles, what a bundle or task counts, the bottleneck, drift
between definitions, stream records, and the aggregator's order independence."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from workengine.dal.codec import AttributeMap
from workengine.dal.items import bundle_item, task_item
from workengine.dal.stats_repository import ChangeCount
from workengine.dal.stream_records import EntityChange, MalformedStreamRecord, entity_change
from workengine.domain import histogram as h
from workengine.domain.drift import task_drift
from workengine.domain.entities import Bundle, Task
from workengine.domain.enums import BundleStatus, TaskStatus
from workengine.domain.errors import NotFoundError
from workengine.domain.run_counts import bundle_counts, delta, task_counts
from workengine.domain.stats_report import TaskShape, bottleneck, template_figures
from workengine.domain.template import WorkflowTemplate
from workengine.services.stats_aggregator import StatsAggregator

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def bundle(**overrides: Any) -> Bundle:
    data: dict[str, Any] = {
        "bundle_id": "b_1", "tenant_id": "acme", "template_id": "tpl", "template_version": "2+abc",
        "title": "Run", "anchor_date": date(2026, 3, 20), "stage": "plan", "owner": "u", "created_by": "u",
        "created_at": START, "updated_at": START,
    }  # fmt: skip
    return Bundle.model_validate({**data, **overrides})


def task(**overrides: Any) -> Task:
    data: dict[str, Any] = {
        "task_id": "t_1", "bundle_id": "b_1", "tenant_id": "acme", "template_id": "tpl",
        "template_task_ref": "draft", "title": "Draft", "phase": "plan", "due_date": date(2026, 3, 5),
        "created_at": START, "updated_at": START,
    }  # fmt: skip
    return Task.model_validate({**data, **overrides})


def done(days: float, **overrides: Any) -> Task:
    return task(status=TaskStatus.DONE, completed_at=START + timedelta(days=days), **overrides)


# ---- buckets and percentiles ---------------------------------------------------------------------
@pytest.mark.parametrize("days", [1 / 24, 0.3, 1, 2.5, 13.45, 100, 900])
def test_a_percentile_is_within_the_documented_error_of_the_value(days: float) -> None:
    reported = h.percentile({h.bucket_of(days): 1}, 0.5)
    assert reported is not None
    assert abs(reported / days - 1) <= h.RELATIVE_ERROR + 1e-9


def test_buckets_are_contiguous_and_their_edges_land_in_the_next_bucket() -> None:
    assert h.bucket_of(0) == 0 and h.bucket_of(-2) == 0 and h.bucket_of(h.FIRST_EDGE * 0.99) == 0
    for index, edge in enumerate(h.EDGES):
        assert h.bucket_of(edge) == index + 1
        assert h.bucket_of(edge * 0.999999) == index
    assert h.bucket_of(10_000) == h.EDGE_COUNT
    assert math.isclose(h.EDGES[-1], 965.44, rel_tol=1e-3)


def test_percentiles_are_nearest_rank_over_bucket_counts() -> None:
    samples = [0.5, 1, 1, 2, 3, 5, 8, 13, 21, 34]
    counts = Counter(h.bucket_of(s) for s in samples)
    p50, p90 = h.percentile(counts, 0.5), h.percentile(counts, 0.9)
    assert p50 is not None and p90 is not None
    assert abs(p50 / 3 - 1) <= h.RELATIVE_ERROR  # the 5th of 10
    assert abs(p90 / 21 - 1) <= h.RELATIVE_ERROR  # the 9th of 10
    assert h.percentile({}, 0.5) is None and h.percentile({3: 0, 4: -1}, 0.5) is None


# ---- what an item counts ---------------------------------------------------------------------------
def test_a_bundle_counts_by_state_and_its_cycle_time_once_completed() -> None:
    completed = bundle(status=BundleStatus.COMPLETED, completed_at=START + timedelta(days=3))
    assert bundle_counts(None) == Counter()
    assert bundle_counts(bundle()) == Counter({"runs_started": 1, "runs_active": 1})
    assert bundle_counts(completed) == Counter(
        {"runs_started": 1, "runs_completed": 1, f"cycle#{h.bucket_of(3)}": 1}
    )
    archived_done = completed.model_copy(update={"status": BundleStatus.ARCHIVED})
    assert bundle_counts(archived_done) == bundle_counts(completed)
    for closed in (BundleStatus.CANCELLED, BundleStatus.ARCHIVED):
        assert bundle_counts(bundle(status=closed)) == Counter({"runs_started": 1, "runs_cancelled": 1})


def test_a_task_counts_when_done_and_late_when_done_after_its_due_date() -> None:
    assert task_counts(task()) == Counter() and task_counts(task(status=TaskStatus.SKIPPED)) == Counter()
    on_time = task_counts(done(2))  # due the 5th, done the 4th
    assert on_time == Counter({"task#draft#completed": 1, f"task#draft#days#{h.bucket_of(2)}": 1})
    late = task_counts(done(4))  # done the 6th
    assert late["task#draft#late"] == 1
    assert task_counts(done(4, due_date=None))["task#draft#late"] == 0


def test_a_delta_keeps_only_what_moved() -> None:
    assert delta(task_counts(task()), task_counts(task(title="renamed"))) == {}
    reopened = delta(task_counts(done(1)), task_counts(task()))
    assert reopened == {"task#draft#completed": -1, f"task#draft#days#{h.bucket_of(1)}": -1}


# ---- the report and the bottleneck ---------------------------------------------------------------
CHAIN = [TaskShape("draft"), TaskShape("review", ("draft",)), TaskShape("build", ("review",)),
         TaskShape("notes"), TaskShape("release", ("build", "notes"))]  # fmt: skip


def test_the_bottleneck_is_the_largest_wait_on_the_critical_path() -> None:
    # review finishes 1 day after draft, build 9 days after review, release 1 day after build; notes
    # waits longest of all (12 days) but is not on the critical path (release waits on build, later)
    medians = {"draft": 2.0, "review": 3.0, "build": 12.0, "notes": 12.0, "release": 13.0}
    assert bottleneck(medians, CHAIN) == "build"
    # without build's slowness the path is release <- notes: notes waits the most
    assert bottleneck({**medians, "build": 4.0}, CHAIN) == "notes"
    assert bottleneck({}, CHAIN) is None


def test_figures_from_counters() -> None:
    counters: Counter[str] = Counter()
    for item in (bundle(), bundle(status=BundleStatus.CANCELLED)):
        counters.update(bundle_counts(item))
    for days in (1, 2, 30):
        counters.update(
            bundle_counts(bundle(status=BundleStatus.COMPLETED, completed_at=START + timedelta(days=days)))
        )
    for days in (1, 4, 4):
        counters.update(task_counts(done(days)))
    counters.update(task_counts(done(2, template_task_ref="retired")))
    figures = template_figures(counters, CHAIN)
    assert (figures.started, figures.active, figures.completed, figures.cancelled) == (5, 1, 3, 1)
    assert figures.cycle_p50 is not None and abs(figures.cycle_p50 / 2 - 1) <= h.RELATIVE_ERROR + 0.01
    assert figures.cycle_p90 is not None and abs(figures.cycle_p90 / 30 - 1) <= h.RELATIVE_ERROR + 0.01
    by_key = {t.key: t for t in figures.tasks}
    assert [t.key for t in figures.tasks] == ["draft", "review", "build", "notes", "release", "retired"]
    assert by_key["draft"].completed == 3 and by_key["draft"].overdue_rate == round(2 / 3, 3)
    assert by_key["review"].median_days_to_complete is None and by_key["review"].overdue_rate is None
    assert figures.bottleneck == "draft"


# ---- drift -----------------------------------------------------------------------------------------
def definition(tasks: list[dict[str, Any]]) -> WorkflowTemplate:
    return WorkflowTemplate.model_validate({
        "template_id": "tpl", "version": 1, "title": "T", "owner_role": "owner",
        "phases": [{"id": "plan", "title": "Plan"}], "tasks": tasks,
    })  # fmt: skip


def spec(key: str, title: str) -> dict[str, Any]:
    return {"key": key, "title": title, "phase": "plan"}


def test_drift_names_added_removed_and_changed_keys() -> None:
    pinned = definition([spec("a", "A"), spec("b", "B"), spec("c", "C")])
    current = definition([spec("a", "A"), spec("c", "C!"), spec("d", "D")])
    drift = task_drift(pinned, current)
    assert (drift.added, drift.removed, drift.changed) == (["d"], ["b"], ["c"])
    assert task_drift(current, current) == type(drift)([], [], [])


# ---- stream records and the aggregator ------------------------------------------------------------
def record(old: AttributeMap | None, new: AttributeMap | None) -> dict[str, Any]:
    image = new or old
    assert image is not None
    data: dict[str, Any] = {"Keys": {"pk": image["pk"], "sk": image["sk"]}, "SequenceNumber": "1"}
    if old:
        data["OldImage"] = old
    if new:
        data["NewImage"] = new
    return {"eventName": "MODIFY", "dynamodb": data}


def test_stream_records_decode_to_changes_named_by_their_versions() -> None:
    before, after = task(version=3), done(1, version=4)
    change = entity_change(record(task_item(before), task_item(after)))
    assert isinstance(change, EntityChange) and change.before == before and change.after == after
    assert change.change_id == "B#T#t_1#3.0>4.0"
    inserted = entity_change(record(None, bundle_item(bundle())))
    assert inserted is not None and inserted.change_id == "B#-" + ">1.0" and inserted.before is None
    other = {"pk": {"S": "x"}, "sk": {"S": "R#1"}, "entity_type": {"S": "reminder"}}
    assert entity_change(record(None, other)) is None
    with pytest.raises(MalformedStreamRecord):
        entity_change({"dynamodb": {"Keys": other}})


class FakeStore:
    def __init__(self) -> None:
        self.counters: Counter[str] = Counter()
        self.seen: set[str] = set()

    def count_change(self, change: ChangeCount, now: datetime) -> bool:
        if change.change_id in self.seen:
            return False
        self.seen.add(change.change_id)
        self.counters.update(change.deltas)
        return True


class FakeBundles:
    def get_bundle(self, tenant_id: str, bundle_id: str) -> Bundle:
        if bundle_id == "gone":
            raise NotFoundError("bundle", bundle_id)
        return bundle(bundle_id=bundle_id)


def test_the_totals_do_not_depend_on_the_order_changes_are_applied_in() -> None:
    # Given a bundle's life: created, a task done, reopened, done again, the bundle completed
    history_b = [None, bundle(version=1), bundle(version=2, status=BundleStatus.COMPLETED,
                                                 completed_at=START + timedelta(days=6))]  # fmt: skip
    history_t = [None, task(version=1), done(1, version=2), task(version=3), done(5, version=4)]
    changes = [
        entity_change(record(bundle_item(a) if a else None, bundle_item(b) if b else None))
        for a, b in itertools.pairwise(history_b)
    ] + [
        entity_change(record(task_item(a) if a else None, task_item(b) if b else None))
        for a, b in itertools.pairwise(history_t)
    ]
    expected = bundle_counts(history_b[-1]) + task_counts(history_t[-1])
    for seed in range(5):
        store = FakeStore()
        aggregator = StatsAggregator(store, FakeBundles())
        shuffled = [c for c in changes if c is not None]
        random.Random(seed).shuffle(shuffled)
        for change in shuffled + shuffled:  # every change twice
            aggregator.count(change)
        assert +store.counters == expected


def test_a_task_of_a_bundle_that_is_gone_counts_nothing() -> None:
    store = FakeStore()
    change = entity_change(record(task_item(task(bundle_id="gone")), task_item(done(1, bundle_id="gone"))))
    assert change is not None
    assert StatsAggregator(store, FakeBundles()).count(change) is False and not store.counters
