"""The reminder sweep Lambda, run by an EventBridge schedule (and by ``workengine sweep`` locally).

``now`` is the scheduled event's ``time`` (when EventBridge fired), so a delayed or retried invocation
sweeps as of its slot; an invocation without one uses the current time. In AWS the schedule's run fans
the due-index shards out to the sweep workers (``handlers/sweep_worker.py``) through the sweep queue;
without a queue (CLI, local server) it sweeps every shard itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from workengine.composition import Container, container
from workengine.observability import logger, metrics
from workengine.services.sweep_work import UNLIMITED, Budget, RemainingTimeBudget

if TYPE_CHECKING:
    from workengine.services.sweep_service import SweepReport
    from workengine.settings import Settings


def event_time(event: dict[str, Any]) -> datetime | None:
    raw = event.get("time") if isinstance(event, dict) else None
    if not isinstance(raw, str) or not raw:
        return None
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)


def lambda_budget(context: LambdaContext, settings: Settings) -> Budget:
    return RemainingTimeBudget(context.get_remaining_time_in_millis, settings.sweep_reserve_seconds * 1000)


def run_sweep(now: datetime, wiring: Container | None = None, budget: Budget = UNLIMITED) -> SweepReport:
    """The whole sweep as of ``now``: due reminders, schedules, task actions, upload expiry, then the
    condition checks."""
    wiring = wiring or container()
    report = wiring.sweep_service.run(now, budget)
    checked = wiring.condition_sweep.run(now)
    report.condition_checks.extend(checked.bundles_checked)
    report.condition_changes.extend(checked.tasks_changed)
    return report


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = event_time(event) or datetime.now(UTC)
    wiring = container()
    return run_sweep(now, wiring, lambda_budget(context, wiring.settings)).as_dict()
