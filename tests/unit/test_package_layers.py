"""The runtime package (the Lambda asset) never imports the tooling package."""

from __future__ import annotations

import ast
from pathlib import Path

import workengine

RUNTIME = Path(workengine.__file__).resolve().parent


def _imported_modules(source: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_runtime_modules_never_import_tooling() -> None:
    offenders = {}
    for path in RUNTIME.rglob("*.py"):
        tooling = sorted(m for m in _imported_modules(path) if m.startswith("workengine_tools"))
        if tooling:
            offenders[str(path.relative_to(RUNTIME))] = tooling
    assert offenders == {}
