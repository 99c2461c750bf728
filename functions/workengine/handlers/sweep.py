"""The reminder sweep Lambda, run by an EventBridge schedule (and by ``workengine sweep`` locally).

``now`` is the scheduled event's ``time`` (when EventBridge fired), so a delayed or retried invocation
sweeps as of its slot; an invocation without one uses the current time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from workengine.catalog.loader import TemplateCatalog, find_content_dir, load_catalog_from
from workengine.handlers.reminder_wiring import build_condition_sweep, build_sweep_service
from workengine.observability import logger, metrics, tracer
from workengine.services.sweep_service import SweepReport
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


def run_sweep(now: datetime, settings: Settings | None = None) -> SweepReport:
    settings = settings or get_settings()
    catalog = _catalog(str(settings.content_path) if settings.content_path else None)
    report = build_sweep_service(settings, catalog).run(now)
    checked = build_condition_sweep(settings, catalog).run(now)
    report.condition_checks.extend(checked.bundles_checked)
    report.condition_changes.extend(checked.tasks_changed)
    return report


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = event_time(event) or datetime.now(UTC)
    return run_sweep(now).as_dict()
