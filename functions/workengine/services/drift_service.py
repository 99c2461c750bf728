"""``GET /templates/{template_id}/drift``: active bundles by the version they run on, and how each
pinned version differs from the current definition.

Active-bundle counts come from the statistics counters (one Query of the template's counters items);
each older version's definition is one GetItem the first time (``PinnedDefinitions`` caches it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from workengine.domain.drift import task_drift
from workengine.domain.enums import Role
from workengine.domain.identity import Identity
from workengine.domain.run_counts import RUNS_ACTIVE
from workengine.services.pinned_definitions import PinnedDefinitions


class VersionCountersReader(Protocol):
    def version_counters(self, tenant_id: str, template_id: str) -> dict[str, dict[str, int]]: ...


@dataclass(frozen=True)
class VersionDrift:
    template_version: str
    active_bundles: int
    added_tasks: list[str]
    removed_tasks: list[str]
    changed_tasks: list[str]


@dataclass(frozen=True)
class DriftReport:
    current_version: str
    versions: list[VersionDrift]


class DriftService:
    """Raises ForbiddenError, TemplateNotFoundError and ServiceUnavailableError."""

    def __init__(self, counters: VersionCountersReader, definitions: PinnedDefinitions) -> None:
        self._counters = counters
        self._definitions = definitions

    def drift(self, identity: Identity, template_id: str) -> DriftReport:
        """The current version first (always listed), then every other version with active bundles,
        most active bundles first. A version whose definition was never pinned (bundles older than
        pinning) runs on the current definition: it shows no drift."""
        identity.require(Role.VIEWER)
        current = self._definitions.current(template_id)
        current_version = self._definitions.current_version(current)
        active = {
            version: counters.get(RUNS_ACTIVE, 0)
            for version, counters in self._counters.version_counters(identity.tenant_id, template_id).items()
        }
        others = sorted(
            (version for version, count in active.items() if count > 0 and version != current_version),
            key=lambda version: (-active[version], version),
        )
        rows = [VersionDrift(current_version, max(active.get(current_version, 0), 0), [], [], [])]
        for version in others:
            pinned = self._definitions.for_version(identity.tenant_id, template_id, version)
            drift = task_drift(pinned or current, current)
            rows.append(VersionDrift(version, active[version], drift.added, drift.removed, drift.changed))
        return DriftReport(current_version=current_version, versions=rows)
