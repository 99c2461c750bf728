"""Route groups load on first use: the table of route keys names, for every route, the router module
that serves it — derived here from the routes themselves, so a route added later cannot be missed."""

from __future__ import annotations

import importlib
import re

from workengine.handlers.api.route_groups import ROUTE_MODULES, ROUTES_PACKAGE, all_modules, route_key


def sample_path(rule: str) -> str:
    return re.sub(r"<[^>]+>", "x_1", rule)


def test_the_route_table_matches_the_routes() -> None:
    derived: dict[str, set[str]] = {}
    for module in all_modules():
        router = importlib.import_module(f"{ROUTES_PACKAGE}.{module}").router
        for rule, *_ in router._routes:
            derived.setdefault(route_key(sample_path(rule)), set()).add(module)

    assert {key: set(modules) for key, modules in ROUTE_MODULES.items()} == derived


def test_every_router_module_is_in_the_table() -> None:
    package = importlib.import_module(ROUTES_PACKAGE)
    from pathlib import Path

    present = {path.stem for path in Path(package.__path__[0]).glob("*.py") if path.stem != "__init__"}

    assert present == set(all_modules())


def test_route_keys() -> None:
    assert route_key("/bundles") == "bundles"
    assert route_key("/bundles/b_1") == "bundles"
    assert route_key("/bundles/b_1/tasks") == "bundles/tasks"
    assert route_key("/me/preferences") == "me"
    assert route_key("/") == ""
