"""The local server reloads the template catalog when files under ``content/`` change, so authors see
their edits without a restart. Invalid content keeps the previous catalog and says why on stderr."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path

from workengine.catalog.problems import CatalogError
from workengine.settings import Settings

POLL_SECONDS = 1.0


def snapshot(root: Path) -> dict[str, int]:
    """Modification time of every file under ``root`` (a directory; a compiled catalog file is one file)."""
    if root.is_file():
        return {str(root): root.stat().st_mtime_ns}
    return {str(path): path.stat().st_mtime_ns for path in sorted(root.rglob("*")) if path.is_file()}


class ContentWatcher:
    """``poll()`` reloads when the files under ``root`` changed since the last poll."""

    def __init__(self, root: Path, reload: Callable[[], str]) -> None:
        self._root = root
        self._reload = reload
        self._seen = snapshot(root)

    def poll(self) -> bool:
        current = snapshot(self._root)
        if current == self._seen:
            return False
        self._seen = current
        try:
            message = self._reload()
        except CatalogError as exc:  # keep serving the previous catalog
            print(f"content/ changed but does not load; still serving the previous templates: {exc}",
                  file=sys.stderr)  # fmt: skip
            return False
        print(message, file=sys.stderr)
        return True


def reload_catalog(root: Path) -> str:
    """Loads ``root`` (raises on invalid content), then makes the API use it from the next request on."""
    from workengine.catalog.loader import load_catalog_from
    from workengine.composition import container, reload_catalog
    from workengine_tools.local.event_triggers import update_trigger_rule

    loaded = load_catalog_from(root)
    reload_catalog()
    # The trigger rule follows the detail types the templates declare now (in AWS: at the next deploy).
    update_trigger_rule(container().settings, container().event_trigger_service.detail_types())
    return f"templates reloaded from {root} ({len(loaded)} templates)"


def content_loop(settings: Settings, stop: threading.Event) -> None:
    from workengine.catalog.loader import find_content_dir

    root = find_content_dir(Path(settings.content_path) if settings.content_path else None)
    if root is None:
        return
    watcher = ContentWatcher(root, lambda: reload_catalog(root))
    while not stop.wait(POLL_SECONDS):
        watcher.poll()
