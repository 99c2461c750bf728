"""Keeps template statistics up to date from the table's change stream.

Each bundle or task change is turned into counter deltas (``domain/run_counts.py``: what the item counts
after the change minus what it counted before) and counted once per change (``DynamoStatsRepository``
records the change in the same transaction as the counters). Changes that move no counter write nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Protocol

from workengine.dal.stats_repository import ChangeCount
from workengine.dal.stream_records import EntityChange
from workengine.domain.entities import Bundle, Task
from workengine.domain.errors import NotFoundError
from workengine.domain.run_counts import bundle_counts, delta, task_counts
from workengine.observability import logger
from workengine.services.bundle_service import Clock, utc_now

# Bundles' template versions never change: remembered per container (about 100 bytes each).
BUNDLE_CACHE_SIZE = 10_000


class StatsStore(Protocol):
    def count_change(self, change: ChangeCount, now: datetime) -> bool: ...


class BundleReader(Protocol):
    def get_bundle(self, tenant_id: str, bundle_id: str) -> Bundle: ...


class StatsAggregator:
    """Raises ServiceUnavailableError when DynamoDB throttles (the record is then delivered again)."""

    def __init__(self, store: StatsStore, bundles: BundleReader, *, clock: Clock = utc_now) -> None:
        self._store = store
        self._bundles = bundles
        self._clock = clock
        self._versions: OrderedDict[tuple[str, str], tuple[str, str] | None] = OrderedDict()

    def count(self, change: EntityChange[Bundle] | EntityChange[Task]) -> bool:
        """Count one change; True when it moved counters now, False when it moves none or was counted
        before (or its bundle no longer exists, for a task)."""
        before, after = change.before, change.after
        bundle = after or before
        template: tuple[str, str] | None
        if isinstance(bundle, Bundle):
            deltas = delta(bundle_counts(_bundle(before)), bundle_counts(_bundle(after)))
            template = (bundle.template_id, bundle.template_version)
        else:
            deltas = delta(task_counts(_task(before)), task_counts(_task(after)))
            template = self._template_of(change.tenant_id, change.bundle_id) if deltas else None
        if not deltas or template is None:
            return False
        tenant_id, bundle_id = change.tenant_id, change.bundle_id
        counted = ChangeCount(tenant_id, bundle_id, template[0], template[1], change.change_id, deltas)
        return self._store.count_change(counted, self._clock())

    def _template_of(self, tenant_id: str, bundle_id: str) -> tuple[str, str] | None:
        key = (tenant_id, bundle_id)
        if key in self._versions:
            self._versions.move_to_end(key)
            return self._versions[key]
        try:
            bundle = self._bundles.get_bundle(tenant_id, bundle_id)
        except NotFoundError:
            # removed again (a create that failed half-way): its tasks' changes count for nothing
            logger.info("task change of a bundle that no longer exists", extra={"bundle_id": bundle_id})
            return None
        found = (bundle.template_id, bundle.template_version)
        self._versions[key] = found
        if len(self._versions) > BUNDLE_CACHE_SIZE:
            self._versions.popitem(last=False)
        return found


def _bundle(value: Bundle | Task | None) -> Bundle | None:
    return value if isinstance(value, Bundle) else None


def _task(value: Bundle | Task | None) -> Task | None:
    return value if isinstance(value, Task) else None
