"""Daily re-evaluation of time-dependent conditions (``days_to_anchor``), one step of the sweep.

A bundle whose definition has such a condition carries ``conditions_due_at`` (the next UTC midnight after
its last evaluation) and, while active, an entry in the sweep index; the sweep reads only the due
entries, so its cost follows the number of bundles with such conditions, not the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.dal.transactions import TransactionConflict
from workengine.domain.audit import audit_event
from workengine.domain.condition_rules import SYSTEM_ACTOR, next_condition_check, reevaluate_conditions
from workengine.domain.entities import AuditEvent, Bundle, Task, today_utc
from workengine.domain.enums import BundleStatus, EntityType
from workengine.domain.errors import ServiceUnavailableError
from workengine.domain.ids import new_id
from workengine.domain.task_rules import bundle_progress_after, progressed_bundle
from workengine.observability import logger
from workengine.services.condition_outputs import outputs_for_conditions
from workengine.services.pinned_definitions import PinnedDefinitions


@dataclass
class ConditionSweepReport:
    bundles_checked: list[str] = field(default_factory=list)
    tasks_changed: list[str] = field(default_factory=list)


class ConditionSweep:
    """Raises nothing for one bundle's conflict or throttling: that bundle stays due for the next run."""

    def __init__(
        self,
        bundles: DynamoBundleRepository,
        definitions: PinnedDefinitions,
        *,
        id_factory: Callable[[str], str] = new_id,
    ) -> None:
        self._bundles = bundles
        self._definitions = definitions
        self._new_id = id_factory

    def run(self, now: datetime) -> ConditionSweepReport:
        report = ConditionSweepReport()
        for tenant_id, bundle_id in self._bundles.bundles_due_for_conditions(now):
            try:
                report.tasks_changed.extend(self._reevaluate(tenant_id, bundle_id, now))
                report.bundles_checked.append(bundle_id)
            except (TransactionConflict, ServiceUnavailableError):
                logger.warning("condition check left for the next sweep", extra={"bundle_id": bundle_id})
        return report

    def _reevaluate(self, tenant_id: str, bundle_id: str, now: datetime) -> list[str]:
        return self.reevaluate_bundle(tenant_id, bundle_id, now, reschedule=True)

    def reevaluate_bundle(
        self,
        tenant_id: str,
        bundle_id: str,
        now: datetime,
        *,
        changed_keys: set[str] | None = None,
        reschedule: bool = False,
    ) -> list[str]:
        """Re-evaluates the bundle's conditions (those reading ``changed_keys``, or all) and stores the
        flips with the bundle's progress; returns the IDs of the tasks that changed. ``reschedule`` moves
        the daily check to tomorrow (the sweep's bookkeeping). Raises TransactionConflict when the
        bundle or a flipped task changed meanwhile, ServiceUnavailableError when DynamoDB throttles."""
        bundle, tasks = self._bundles.get_bundle_with_tasks(tenant_id, bundle_id)
        definition = self._definitions.find(bundle)
        flips = (
            reevaluate_conditions(
                definition,
                bundle,
                tasks,
                today=today_utc(now),
                now=now,
                changed_keys=changed_keys,
                outputs=outputs_for_conditions(self._bundles, definition, bundle),
            )
            if definition is not None and bundle.status is BundleStatus.ACTIVE
            else {}
        )
        if not flips and not reschedule:
            return []
        by_id = {task.task_id: task for task in tasks}
        events = [
            self._event(EntityType.TASK, by_id[task_id], flipped, "condition_evaluated", now)
            for task_id, flipped in flips.items()
        ]
        updated_tasks = [flips.get(task.task_id, task) for task in tasks]
        phases = definition.phase_ids() if definition else list(dict.fromkeys(t.phase for t in tasks))
        progress = bundle_progress_after(bundle, phases, updated_tasks)
        # The check moves to tomorrow without a version bump (bookkeeping no client sees change), unless
        # the flips moved the bundle's stage or status.
        updated = bundle
        if reschedule:
            updated = bundle.model_copy(update={"conditions_due_at": next_condition_check(now)})
        if progress.stage_changed or progress.status_changed:
            updated = progressed_bundle(updated, progress, now)
            events.append(self._event(EntityType.BUNDLE, bundle, updated, "progressed", now))
        self._bundles.save_changes(
            bundle=(updated, bundle.version),
            tasks=[(task, by_id[task_id].version) for task_id, task in flips.items()],
            events=events,
        )
        return list(flips)

    def _event(
        self, entity_type: EntityType, before: Task | Bundle, after: Task | Bundle, action: str, now: datetime
    ) -> AuditEvent:
        entity_id = after.task_id if isinstance(after, Task) else after.bundle_id
        return audit_event(
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            actor=SYSTEM_ACTOR,
            at=now,
            new_id=self._new_id,
            before=before,
            after=after,
        )
