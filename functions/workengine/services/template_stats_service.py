"""``GET /templates/{template_id}/stats``: the counters the aggregator keeps, read back as statistics.

One GetItem of the counters item (plus, for an older version, one GetItem of its pinned definition the
first time): never a scan of bundles.
"""

from __future__ import annotations

from typing import Protocol

from workengine.domain.enums import Role
from workengine.domain.identity import Identity
from workengine.domain.stats_report import TaskShape, TemplateFigures, template_figures
from workengine.domain.template import WorkflowTemplate
from workengine.services.pinned_definitions import PinnedDefinitions


class CountersReader(Protocol):
    def counters(self, tenant_id: str, template_id: str, template_version: str | None) -> dict[str, int]: ...


def task_shapes(template: WorkflowTemplate | None) -> list[TaskShape]:
    """Task keys in template order with the keys each waits for (dependencies and ``offset_from``)."""
    if template is None:
        return []
    return [
        TaskShape(task.key, tuple(dict.fromkeys([*task.depends_on, *filter(None, [task.offset_from])])))
        for task in template.tasks
    ]


class TemplateStatsService:
    """Raises ForbiddenError (no role), TemplateNotFoundError (not in the catalog) and
    ServiceUnavailableError (DynamoDB throttles)."""

    def __init__(self, counters: CountersReader, definitions: PinnedDefinitions) -> None:
        self._counters = counters
        self._definitions = definitions

    def stats(self, identity: Identity, template_id: str, template_version: str | None) -> TemplateFigures:
        """The caller's tenant's statistics of the template: all versions, or one ``template_version``
        (tasks listed from that version's definition when the tenant ran it, else from the counters)."""
        identity.require(Role.VIEWER)
        current = self._definitions.current(template_id)
        definition: WorkflowTemplate | None = current
        if template_version is not None:
            definition = self._definitions.for_version(identity.tenant_id, template_id, template_version)
        counters = self._counters.counters(identity.tenant_id, template_id, template_version)
        return template_figures(counters, task_shapes(definition))
