"""Route groups loaded on first use: a cold start imports the routers (and their models and services) of
the request it answers, not all of them.

A request's *route key* is its first path segment, plus its third for a sub-collection
(``/bundles/{id}/tasks`` → ``bundles/tasks``). ``ROUTE_MODULES`` names the router modules serving each key;
a test derives the same table from the routes themselves, so a new route cannot be left out of it.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

ROUTES_PACKAGE = "workengine.handlers.api.routes"
ROUTE_MODULES: dict[str, tuple[str, ...]] = {
    "health": ("health",),
    "templates": ("templates",),
    "templates/stats": ("templates",),
    "templates/drift": ("templates",),
    "bundles": ("bundles",),
    "bundles/events": ("bundles",),
    "bundles/template": ("bundles",),
    "bundles/artifacts": ("artifacts",),
    "tasks": ("tasks",),
    "tasks/comments": ("tasks",),
    "tasks/approvals": ("approvals",),
    "tasks/actions": ("task_actions",),
    "artifacts": ("artifacts",),
    "assistant-jobs": ("assistant_jobs",),
    "assistant-jobs/cancel": ("assistant_jobs",),
    "exports": ("exports",),
    "reminders": ("reminders",),
    "schedules": ("schedules",),
    "attention": ("attention",),
    "me": ("preferences",),
    "events": ("events",),
    "showcases": ("showcases",),
}


def route_key(path: str) -> str:
    parts = path.split("/")
    first = parts[1] if len(parts) > 1 else ""
    return f"{first}/{parts[3]}" if len(parts) > 3 else first


# The order of the OpenAPI document's paths and tags, whatever order the groups were loaded in.
DOCUMENT_ORDER = (
    "health",
    "templates",
    "bundles",
    "tasks",
    "approvals",
    "task_actions",
    "events",
    "exports",
    "artifacts",
    "assistant_jobs",
    "reminders",
    "preferences",
    "schedules",
    "attention",
    "showcases",
)


def all_modules() -> list[str]:
    named = {module for modules in ROUTE_MODULES.values() for module in modules}
    return [*DOCUMENT_ORDER, *sorted(named - set(DOCUMENT_ORDER))]


def document_position(route: Any) -> int:
    """Where a route's module stands in ``DOCUMENT_ORDER`` (others after it)."""
    module = getattr(route.func, "__module__", "").rpartition(".")[2]
    return DOCUMENT_ORDER.index(module) if module in DOCUMENT_ORDER else len(DOCUMENT_ORDER)


class RouteGroups:
    """Includes each router module into the resolver once, on the first request that needs it."""

    def __init__(self, include: Callable[[Any], None]) -> None:
        self._include = include
        self._loaded: set[str] = set()
        self.lock = threading.RLock()

    def load(self, modules: tuple[str, ...] | list[str]) -> None:
        if all(module in self._loaded for module in modules):
            return
        with self.lock:  # the local server answers requests on several threads
            for module in modules:
                if module not in self._loaded:
                    self._include(importlib.import_module(f"{ROUTES_PACKAGE}.{module}").router)
                    self._loaded.add(module)

    def load_for(self, path: str) -> None:
        """The routers that can answer ``path`` (none for a path no route has: the resolver's 404)."""
        self.load(ROUTE_MODULES.get(route_key(path), ()))

    def load_all(self) -> None:
        self.load(all_modules())
