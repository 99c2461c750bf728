"""The reminder sweep Lambda, run by an EventBridge schedule (and by ``workengine sweep`` locally).

``now`` is the scheduled event's ``time`` (when EventBridge fired), so a delayed or retried invocation
sweeps as of its slot; an invocation without one uses the current time. In AWS the schedule's run fans
the due-index shards out to the sweep workers (``handlers/sweep_worker.py``) through the sweep queue;
without a queue (CLI, local server) it sweeps every shard itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from workengine.catalog.loader import TemplateCatalog, find_content_dir, load_catalog_from
from workengine.handlers.reminder_wiring import build_condition_sweep, build_sweep_service
from workengine.observability import logger, metrics
from workengine.services.sweep_service import SweepReport, SweepService
from workengine.services.sweep_work import UNLIMITED, Budget, RemainingTimeBudget, SweepHandover
from workengine.settings import Settings, get_settings


@lru_cache(maxsize=1)
def _catalog(content_path: str | None) -> TemplateCatalog:
    source = find_content_dir(Path(content_path) if content_path else None)
    if source is None:
        raise RuntimeError("no template catalog found: set WORKENGINE_CONTENT_PATH")
    return load_catalog_from(source)


def event_time(event: dict[str, Any]) -> datetime | None:
    raw = event.get("time") if isinstance(event, dict) else None
    if not isinstance(raw, str) or not raw:
        return None
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)


def sweep_service(settings: Settings, handover: SweepHandover | None = None) -> SweepService:
    """The sweep as configured; ``handover`` replaces the SQS queue (the benchmark's in-memory one)."""
    catalog = _catalog(str(settings.content_path) if settings.content_path else None)
    return build_sweep_service(settings, catalog, handover)


def lambda_budget(context: LambdaContext, settings: Settings) -> Budget:
    return RemainingTimeBudget(context.get_remaining_time_in_millis, settings.sweep_reserve_seconds * 1000)


def run_sweep(now: datetime, settings: Settings | None = None, budget: Budget = UNLIMITED) -> SweepReport:
    settings = settings or get_settings()
    report = sweep_service(settings).run(now, budget)
    catalog = _catalog(str(settings.content_path) if settings.content_path else None)
    checked = build_condition_sweep(settings, catalog).run(now)
    report.condition_checks.extend(checked.bundles_checked)
    report.condition_changes.extend(checked.tasks_changed)
    return report


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = event_time(event) or datetime.now(UTC)
    settings = get_settings()
    return run_sweep(now, settings, lambda_budget(context, settings)).as_dict()
