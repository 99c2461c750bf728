"""Pinned definitions: which definition a bundle runs on, and what it costs to find it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.unit.test_instantiation import make_template
from workengine.catalog.loader import TemplateCatalog
from workengine.domain.entities import Bundle, PinnedDefinition
from workengine.services.pinned_definitions import PinnedDefinitions

NOW = datetime(2030, 1, 1, tzinfo=UTC)


class FakeStore:
    def __init__(self) -> None:
        self.pins: dict[tuple[str, str, str], PinnedDefinition] = {}
        self.reads = 0

    def get_definition(
        self, tenant_id: str, template_id: str, template_version: str
    ) -> PinnedDefinition | None:
        self.reads += 1
        return self.pins.get((tenant_id, template_id, template_version))


def _bundle(template_version: str, tenant: str = "acme") -> Bundle:
    return Bundle(
        bundle_id="b1",
        tenant_id=tenant,
        template_id="month-close",
        template_version=template_version,
        title="March",
        anchor_date=date(2030, 3, 1),
        stage="prepare",
        owner="u",
        created_by="u",
        created_at=NOW,
        updated_at=NOW,
    )


def test_a_pin_is_written_with_the_first_bundle_of_a_container_only() -> None:
    v1 = make_template()
    definitions = PinnedDefinitions(TemplateCatalog(templates={v1.template_id: v1}), FakeStore())
    pin = definitions.pin_to_store("acme", v1, NOW)
    assert pin is not None and pin.template_version == v1.pinned_version
    assert pin.content_hash == v1.content_hash() and pin.definition_id == f"month-close@{v1.pinned_version}"
    definitions.stored(pin)
    assert definitions.pin_to_store("acme", v1, NOW) is None
    assert definitions.pin_to_store("globex", v1, NOW) is not None  # each tenant holds its own pins


def test_the_current_version_is_served_without_a_read() -> None:
    v1 = make_template()
    store = FakeStore()
    definitions = PinnedDefinitions(TemplateCatalog(templates={v1.template_id: v1}), store)
    assert definitions.for_bundle(_bundle(v1.pinned_version)) is v1
    assert store.reads == 0


def test_an_older_version_is_read_once_from_its_pin_then_cached() -> None:
    v1 = make_template()
    v2 = make_template(title="Month close (v2)", version=4)
    store = FakeStore()
    store.pins[("acme", "month-close", v1.pinned_version)] = PinnedDefinitions(
        TemplateCatalog(), store
    ).pin_to_store("acme", v1, NOW)  # type: ignore[assignment]
    definitions = PinnedDefinitions(TemplateCatalog(templates={v2.template_id: v2}), store)

    first = definitions.for_bundle(_bundle(v1.pinned_version))
    second = definitions.for_bundle(_bundle(v1.pinned_version))

    assert first == v1 and first.title == "Month close" and second is first
    assert store.reads == 1


def test_a_bundle_from_before_pinning_runs_on_the_catalog() -> None:
    v2 = make_template(version=4)
    definitions = PinnedDefinitions(TemplateCatalog(templates={v2.template_id: v2}), FakeStore())
    assert definitions.find(_bundle("1+000000000000")) is v2
    assert PinnedDefinitions(TemplateCatalog(), FakeStore()).find(_bundle("1+000000000000")) is None
