"""What one bundle or task contributes to its template's statistics, as named counters.

Contributions are functions of one item's state: the change an item makes to the statistics is
``counts(new image) - counts(old image)``. Summed over an item's changes this telescopes to
``counts(latest) - counts(none)``, so the totals are right whatever order the changes of *different*
items (or even of one item) are applied in, as long as each change is applied exactly once (the
aggregator's job, see ``services/stats_aggregator.py``).

Counter names (attributes of the statistics items):
- ``runs_started``, ``runs_active``, ``runs_completed``, ``runs_cancelled``: one per bundle, by state.
- ``cycle#<bucket>``: completed bundles by cycle time (completed_at - created_at, in days).
- ``task#<key>#completed``, ``task#<key>#late``, ``task#<key>#days#<bucket>``: tasks of the template task
  ``key`` that are done, done after their due date, and by days from the run's start to completion.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from workengine.domain.entities import Bundle, Task
from workengine.domain.enums import BundleStatus, TaskStatus
from workengine.domain.histogram import bucket_of

RUNS_STARTED = "runs_started"
RUNS_ACTIVE = "runs_active"
RUNS_COMPLETED = "runs_completed"
RUNS_CANCELLED = "runs_cancelled"
CYCLE_PREFIX = "cycle#"
TASK_PREFIX = "task#"
SECONDS_PER_DAY = 86_400


def days_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / SECONDS_PER_DAY


def cycle_counter(bucket: int) -> str:
    return f"{CYCLE_PREFIX}{bucket}"


def task_counter(key: str, name: str) -> str:
    return f"{TASK_PREFIX}{key}#{name}"


def task_days_counter(key: str, bucket: int) -> str:
    return task_counter(key, f"days#{bucket}")


def bundle_counts(bundle: Bundle | None) -> Counter[str]:
    """A bundle counts as started once; as active, completed (it has a completion time: completed, or
    archived after completing) or cancelled (cancelled, or archived without having completed)."""
    counts: Counter[str] = Counter()
    if bundle is None:
        return counts
    counts[RUNS_STARTED] = 1
    if bundle.status is BundleStatus.ACTIVE:
        counts[RUNS_ACTIVE] = 1
    elif bundle.completed_at is not None and bundle.status in (BundleStatus.COMPLETED, BundleStatus.ARCHIVED):
        counts[RUNS_COMPLETED] = 1
        counts[cycle_counter(bucket_of(days_between(bundle.created_at, bundle.completed_at)))] = 1
    else:
        counts[RUNS_CANCELLED] = 1
    return counts


def task_counts(task: Task | None) -> Counter[str]:
    """A done task counts as completed under its template task key, in the bucket of its days from the
    run's start (the task's creation, which is the bundle's) to completion, and as late when it was
    completed after its due date (UTC dates). Open and skipped tasks count nothing."""
    counts: Counter[str] = Counter()
    if task is None or task.status is not TaskStatus.DONE or task.completed_at is None:
        return counts
    key = task.template_task_ref
    counts[task_counter(key, "completed")] = 1
    counts[task_days_counter(key, bucket_of(days_between(task.created_at, task.completed_at)))] = 1
    if task.due_date is not None and task.completed_at.astimezone(UTC).date() > task.due_date:
        counts[task_counter(key, "late")] = 1
    return counts


def delta(before: Counter[str], after: Counter[str]) -> dict[str, int]:
    """``after - before`` per counter, without the counters that did not move."""
    names = set(before) | set(after)
    changes = {name: after[name] - before[name] for name in names}
    return {name: change for name, change in sorted(changes.items()) if change}
