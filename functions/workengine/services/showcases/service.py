"""Seeds showcases into a tenant, once: the marker is claimed (written only if absent) before anything
is created, so a second run — or a concurrent one — answers ``already_seeded`` and creates nothing.

A run that dies midway (a crash, a timeout) leaves its marker ``seeding`` and the records written so
far, each a complete write of the engine's own services; it is never resumed or seeded twice: later
runs answer ``already_seeded`` with ``success: false`` and say the earlier run did not finish (see
docs/operations.md: seed the showcases into a fresh tenant)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.dal.reminder_repository import DynamoReminderRepository
from workengine.dal.showcase_markers import DynamoShowcaseMarkers
from workengine.domain.entities import utc_iso
from workengine.domain.enums import Role, TaskStatus
from workengine.domain.errors import NotFoundError
from workengine.domain.identity import Identity
from workengine.domain.showcase import MarkerStatus, ShowcaseCounts, ShowcaseMarker, expand
from workengine.observability import logger, metrics
from workengine.services.assistant_providers import AssistantProvider
from workengine.services.bundle_service import Clock, utc_now
from workengine.services.showcases import ev_charging, global_hcm, renewal_journey
from workengine.services.showcases.provider import ScriptedAssistantProvider
from workengine.services.showcases.stage import Played, SeedClock, Stage, StageServices

SCENARIOS: dict[str, ModuleType] = {
    module.NAME: module for module in (ev_charging, global_hcm, renewal_journey)
}
SEEDED = "seeded"
ALREADY_SEEDED = "already_seeded"
StageFactory = Callable[[SeedClock, AssistantProvider], StageServices]


@dataclass
class ShowcaseResult:
    name: str
    status: str
    counts: ShowcaseCounts
    bundle_ids: list[str]
    complete: bool = True
    started_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**self.counts.model_dump(), "status": self.status, "bundle_ids": self.bundle_ids}


@dataclass
class ShowcaseRun:
    """The contract's summary of one seeding request."""

    tenant_id: str
    results: list[ShowcaseResult] = field(default_factory=list)
    execution_ms: int = 0
    timestamp: str = ""

    @property
    def success(self) -> bool:
        return all(result.complete for result in self.results)

    def message(self) -> str:
        parts = []
        for result in self.results:
            if result.status == SEEDED:
                parts.append(
                    f"{result.name}: seeded {result.counts.bundles} bundles, {result.counts.tasks} tasks"
                )
            elif result.complete:
                parts.append(f"{result.name}: already seeded, nothing created")
            else:
                parts.append(
                    f"{result.name}: an earlier run started at {result.started_at} did not finish; "
                    "nothing created (seed a fresh tenant for a complete showcase)"
                )
        return f"tenant {self.tenant_id!r}: " + "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "message": self.message(),
            "metrics": {"execution_ms": self.execution_ms, "timestamp": self.timestamp},
            "showcases": {result.name: result.as_dict() for result in self.results},
            "next_steps": next_steps(self.tenant_id),
        }


def next_steps(tenant_id: str) -> list[str]:
    return [
        f"workengine token --tenant {tenant_id} --user priya.shah --role member  (the EV project manager)",
        "GET /bundles?template_id=ev-charging-rollout  (three sites at three stages)",
        "GET /bundles/{bundle_id}/events  (each showcase bundle's audit trail)",
        "GET /tasks?escalated_to=me as henrik.dahl  (the overdue EMEA reviews)",
        "GET /reminders?bundle_id={bundle_id}  (due, overdue, rework, escalation, snooze_ended)",
        f"workengine export --tenant {tenant_id} --out DIR  (then `workengine export validate DIR`)",
    ]


class ShowcaseService:
    """Raises ForbiddenError (not an admin), NotFoundError (unknown showcase name) and whatever a
    scenario's service calls raise (the marker then stays ``seeding``)."""

    def __init__(
        self,
        markers: DynamoShowcaseMarkers,
        bundles: DynamoBundleRepository,
        reminders: DynamoReminderRepository,
        stage_factory: StageFactory,
        *,
        clock: Clock = utc_now,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._markers = markers
        self._bundles = bundles
        self._reminders = reminders
        self._stage_factory = stage_factory
        self._clock = clock
        self._timer = timer

    def seed(self, identity: Identity, name: str) -> ShowcaseRun:
        identity.require(Role.ADMIN)
        try:
            names = expand(name)
        except ValueError as exc:
            raise NotFoundError("showcase", name) from exc
        started = self._timer()
        run = ShowcaseRun(identity.tenant_id)
        for showcase in names:
            run.results.append(self._seed_one(identity, showcase))
        run.execution_ms = round((self._timer() - started) * 1000)
        run.timestamp = utc_iso(self._clock())
        return run

    def _seed_one(self, identity: Identity, name: str) -> ShowcaseResult:
        now = self._clock()
        marker = ShowcaseMarker(
            tenant_id=identity.tenant_id,
            name=name,
            status=MarkerStatus.SEEDING,
            started_at=now,
            seeded_by=identity.user_id,
        )
        if not self._markers.claim(marker):
            existing = self._markers.get(identity.tenant_id, name)
            complete = existing is None or existing.status is MarkerStatus.SEEDED
            return ShowcaseResult(
                name,
                ALREADY_SEEDED,
                ShowcaseCounts(),
                existing.bundle_ids if existing else [],
                complete=complete,
                started_at=utc_iso(existing.started_at) if existing else None,
            )
        scenario = SCENARIOS[name]
        clock = SeedClock(limit=now)
        stage = Stage(
            identity.tenant_id, clock, self._stage_factory(clock, ScriptedAssistantProvider(scenario.SCRIPT))
        )
        scenario.play(stage)
        counts = self._count(identity.tenant_id, stage.played)
        self._markers.save(
            marker.model_copy(
                update={
                    "status": MarkerStatus.SEEDED,
                    "finished_at": self._clock(),
                    "bundle_ids": stage.played.bundle_ids,
                    "counts": counts,
                }
            )
        )
        logger.info("showcase seeded", extra={"showcase": name, "tenant_id": identity.tenant_id})
        metrics.add_metric(name="ShowcaseSeeded", unit="Count", value=1)
        return ShowcaseResult(name, SEEDED, counts, stage.played.bundle_ids)

    def _count(self, tenant_id: str, played: Played) -> ShowcaseCounts:
        counts = ShowcaseCounts(
            bundles=len(played.bundle_ids),
            artifacts=played.artifacts,
            assistant_jobs=played.assistant_jobs,
            comments=played.comments,
        )
        for bundle_id in played.bundle_ids:
            _, tasks = self._bundles.get_bundle_with_tasks(tenant_id, bundle_id)
            counts.tasks += len(tasks)
            counts.completed_tasks += sum(1 for task in tasks if task.status is TaskStatus.DONE)
            counts.reminders += self._count_reminders(tenant_id, bundle_id)
        return counts

    def _count_reminders(self, tenant_id: str, bundle_id: str) -> int:
        page = self._reminders.list_reminders(
            tenant_id, bundle_id=bundle_id, kind=None, limit=100, cursor=None
        )
        total = len(page.items)
        while page.cursor is not None:
            page = self._reminders.list_reminders(
                tenant_id, bundle_id=bundle_id, kind=None, limit=100, cursor=page.cursor
            )
            total += len(page.items)
        return total
