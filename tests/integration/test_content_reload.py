"""The local server's content watcher: an edited template is served without a restart; broken content
keeps the previous catalog."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from tests.integration.conftest import FIXTURE_CONTENT
from tests.support.api import ApiClient, Caller
from tests.support.env import use_test_env
from workengine.domain.enums import Role
from workengine.handlers.api import dependencies as deps
from workengine.settings import get_settings
from workengine_tools.local.backend import provision
from workengine_tools.local.content_watch import ContentWatcher, reload_catalog


@pytest.fixture
def content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    use_test_env(monkeypatch, root)
    with mock_aws():
        deps.reset()
        provision(get_settings())
        yield root
    deps.reset()


def touch_later(path: Path, text: str) -> None:
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_an_edited_template_is_served_after_the_next_poll(content: Path) -> None:
    # Given: the API has served the template once
    api = ApiClient(Caller("acme", "mia", Role.MEMBER))
    assert api.get("/templates/test-flow").body["title"] == "Test flow"
    watcher = ContentWatcher(content, lambda: reload_catalog(content))
    assert watcher.poll() is False

    # When: an author edits its title
    template = content / "templates" / "test-flow.yaml"
    touch_later(template, template.read_text().replace("title: Test flow", "title: Test flow, edited"))

    # Then: the next poll reloads and the API serves the edit
    assert watcher.poll() is True
    assert api.get("/templates/test-flow").body["title"] == "Test flow, edited"

    # When: the content breaks
    touch_later(template, "template_id: [unclosed")

    # Then: the previous catalog stays in service
    assert watcher.poll() is False
    assert api.get("/templates/test-flow").body["title"] == "Test flow, edited"
