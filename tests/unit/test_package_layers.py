"""The runtime package (the Lambda asset) never imports the tooling package."""

from __future__ import annotations

import ast
from pathlib import Path

import workengine
import workengine_tools

RUNTIME = Path(workengine.__file__).resolve().parent
TOOLING = Path(workengine_tools.__file__).resolve().parent


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


# Layers point one way: handlers -> composition -> services -> dal -> domain (catalog reads content into
# domain models). Imports only a type checker follows (``if TYPE_CHECKING:``) do not count.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "domain": ("catalog", "dal", "services", "handlers", "composition", "settings", "observability"),
    "catalog": ("dal", "services", "handlers", "composition", "settings"),
    "dal": ("catalog", "services", "handlers", "composition"),
    "services": ("handlers", "composition", "settings"),
    "handlers": ("dal",),
}
# Modules outside dal that call an AWS client they are given (they catch botocore's errors); no other.
AWS_CALLERS_OUTSIDE_DAL = {"services/assistant_providers.py"}


def _runtime_imports(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _layer(path: Path) -> str:
    parts = path.relative_to(RUNTIME).with_suffix("").parts
    return parts[0]


def test_layers_point_one_way() -> None:
    offenders: dict[str, list[str]] = {}
    for path in RUNTIME.rglob("*.py"):
        forbidden = FORBIDDEN.get(_layer(path), ())
        bad = sorted(
            name
            for name in _runtime_imports(path)
            if name.startswith("workengine.") and name.split(".")[1] in forbidden
        )
        if bad:
            offenders[str(path.relative_to(RUNTIME))] = bad
    assert offenders == {}


def test_only_dal_talks_to_aws() -> None:
    callers = {
        str(path.relative_to(RUNTIME))
        for path in RUNTIME.rglob("*.py")
        if _layer(path) != "dal" and {"boto3", "botocore"} & {n.split(".")[0] for n in _runtime_imports(path)}
    }
    assert callers == AWS_CALLERS_OUTSIDE_DAL


def test_only_dal_aws_creates_clients() -> None:
    creators = {
        str(path.relative_to(RUNTIME))
        for path in RUNTIME.rglob("*.py")
        if any(marker in path.read_text(encoding="utf-8") for marker in ("boto3.client(", ".client(service"))
    }
    assert creators <= {"dal/aws.py"}


def test_no_import_cycles_between_modules() -> None:
    """No two modules of the runtime or the tooling package import each other, directly or round a loop,
    counting imports made only for a type checker or inside functions: a circle is a circle to a reader."""
    modules = {
        ".".join((root.name, *path.relative_to(root).with_suffix("").parts)).removesuffix(".__init__"): path
        for root in (RUNTIME, TOOLING)
        for path in root.rglob("*.py")
    }
    graph = {
        name: {dep for dep in _imported_modules(path) if dep in modules and dep != name}
        for name, path in modules.items()
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append([*trail[trail.index(dep) :], dep] if dep in trail else [node, dep])
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []
