"""Read-only view of the Git-backed template catalog."""

from __future__ import annotations

from typing import Any

from workengine.catalog.loader import TemplateCatalog
from workengine.domain.enums import Role
from workengine.domain.identity import Identity


class TemplateService:
    """Raises TemplateNotFoundError for an unknown template id."""

    def __init__(self, catalog: TemplateCatalog) -> None:
        self._catalog = catalog

    def list_templates(self, identity: Identity) -> list[dict[str, Any]]:
        identity.require(Role.VIEWER)
        return [
            {
                "template_id": template.template_id,
                "version": template.version,
                "pinned_version": template.pinned_version,
                "title": template.title,
                "description": template.description,
                "phases": [phase.model_dump(mode="json") for phase in template.phases],
                "triggers": [trigger.type for trigger in template.triggers],
                "task_count": len(template.tasks),
                "tags": list(template.tags),
            }
            for template in self._catalog.list()
        ]

    def get_template(self, identity: Identity, template_id: str) -> dict[str, Any]:
        identity.require(Role.VIEWER)
        template = self._catalog.require(template_id)
        return {**template.model_dump(mode="json"), "pinned_version": template.pinned_version}
