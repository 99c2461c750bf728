"""The definition each bundle runs on: pinned at creation, read back by ``template_version``.

Definitions are immutable (the pinned version carries the content hash), so this container keeps every
definition it has seen and every pin it has stored: hot paths pay no request for them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from workengine.catalog.loader import TemplateCatalog
from workengine.domain.entities import Bundle, PinnedDefinition
from workengine.domain.errors import TemplateNotFoundError
from workengine.domain.template import WorkflowTemplate


class DefinitionStore(Protocol):
    def get_definition(
        self, tenant_id: str, template_id: str, template_version: str
    ) -> PinnedDefinition | None: ...


class PinnedDefinitions:
    """Raises TemplateNotFoundError for a template the catalog does not hold (``current``) or a bundle
    whose pinned definition is neither stored nor in the catalog (``for_bundle``), and
    ServiceUnavailableError when the store throttles."""

    def __init__(self, catalog: TemplateCatalog, store: DefinitionStore) -> None:
        self._catalog = catalog
        self._store = store
        self._by_version: dict[tuple[str, str], WorkflowTemplate] = {}
        self._catalog_versions: dict[str, str] = {}
        self._stored: set[tuple[str, str, str]] = set()

    def current(self, template_id: str) -> WorkflowTemplate:
        """The catalog's template (what new bundles are created from)."""
        return self._catalog.require(template_id)

    def current_version(self, template: WorkflowTemplate) -> str:
        known = self._catalog_versions.get(template.template_id)
        if known is None or self._catalog.get(template.template_id) is not template:
            known = template.pinned_version
            self._catalog_versions[template.template_id] = known
            self._by_version[(template.template_id, known)] = template
        return known

    def pin_to_store(
        self, tenant_id: str, template: WorkflowTemplate, now: datetime
    ) -> PinnedDefinition | None:
        """The pin a bundle created from ``template`` must write with itself, or None when this container
        already stored it for the tenant."""
        version = self.current_version(template)
        if (tenant_id, template.template_id, version) in self._stored:
            return None
        return PinnedDefinition(
            tenant_id=tenant_id,
            template_id=template.template_id,
            template_version=version,
            content_hash=template.content_hash(),
            definition=template.model_dump(mode="json"),
            created_at=now,
        )

    def stored(self, pin: PinnedDefinition) -> None:
        """Record that ``pin`` was written (its transaction committed)."""
        self._stored.add((pin.tenant_id, pin.template_id, pin.template_version))

    def for_bundle(self, bundle: Bundle) -> WorkflowTemplate:
        """The definition ``bundle`` was created from (see ``find``); raises TemplateNotFoundError when
        there is none."""
        template = self.find(bundle)
        if template is None:
            raise TemplateNotFoundError(bundle.template_id)
        return template

    def find(self, bundle: Bundle) -> WorkflowTemplate | None:
        """The definition ``bundle`` was created from: from this container's cache, the catalog when it
        still holds that exact version, else one GetItem of the stored pin (cached from then on)."""
        pinned = self.for_version(bundle.tenant_id, bundle.template_id, bundle.template_version)
        # Bundles created before definitions were pinned run on the catalog's template.
        return pinned if pinned is not None else self._catalog.get(bundle.template_id)

    def for_version(self, tenant_id: str, template_id: str, template_version: str) -> WorkflowTemplate | None:
        """The definition pinned as ``template_version`` for the tenant: from this container's cache, the
        catalog when it still holds that exact version, else one GetItem of the stored pin (cached from
        then on); None when the tenant never stored that version."""
        key = (template_id, template_version)
        cached = self._by_version.get(key)
        if cached is not None:
            return cached
        current = self._catalog.get(template_id)
        if current is not None and self.current_version(current) == template_version:
            return current
        pin = self._store.get_definition(tenant_id, template_id, template_version)
        if pin is None:
            return None
        template = WorkflowTemplate.model_validate(pin.definition)
        self._by_version[key] = template
        self._stored.add((tenant_id, template_id, template_version))
        return template
