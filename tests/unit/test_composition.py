"""The composition root: collaborators are built once, on first use, and the catalog reloads with its
dependents; the process container follows reloaded settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.env import use_test_env
from workengine import composition
from workengine.catalog.loader import TemplateCatalog, load_catalog_from
from workengine.composition import Container
from workengine.settings import Settings, get_settings

FIXTURE_CONTENT = Path(__file__).resolve().parents[1] / "fixtures" / "content"


def test_collaborators_are_built_once_and_share_their_collaborators(monkeypatch: pytest.MonkeyPatch) -> None:
    use_test_env(monkeypatch, FIXTURE_CONTENT)
    wiring = Container(Settings(), load_catalog_from(FIXTURE_CONTENT))

    assert wiring.bundle_service is wiring.bundle_service
    assert wiring.task_committer is wiring.task_committer
    assert wiring.pinned_definitions is wiring.pinned_definitions
    assert wiring.client("dynamodb") is wiring.bundle_repository._client  # type: ignore[attr-defined]


def test_reload_drops_the_catalog_and_what_was_built_on_it_only(monkeypatch: pytest.MonkeyPatch) -> None:
    use_test_env(monkeypatch, FIXTURE_CONTENT)
    wiring = Container(Settings(content_path=FIXTURE_CONTENT))
    catalog, templates, bundles = wiring.catalog, wiring.template_service, wiring.bundle_repository

    wiring.reload_catalog()

    assert wiring.catalog is not catalog and wiring.template_service is not templates
    assert wiring.bundle_repository is bundles


def test_a_catalog_override_is_used_instead_of_the_content() -> None:
    override = TemplateCatalog()

    assert Container(Settings(), override).catalog is override


def test_the_process_container_follows_reloaded_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    use_test_env(monkeypatch, FIXTURE_CONTENT)
    composition.reset()
    first = composition.container()
    assert composition.container() is first

    monkeypatch.setenv("WORKENGINE_SWEEP_PAGE_SIZE", "7")
    get_settings.cache_clear()

    assert composition.container() is not first
    assert composition.container().settings.sweep_page_size == 7
    composition.reset()
