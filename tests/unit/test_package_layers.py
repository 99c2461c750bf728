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


# Assistant jobs are split by who runs them: the API requests them, the jobs worker runs them. What each
# side loads (its modules' import-time closure, plus what its composition-root collaborator imports when
# built) must not reach the other side. The showcase stage runs jobs in-process and may import both.
JOB_REQUESTS = "workengine.services.job_requests"
JOB_RUNNER = "workengine.services.job_runner"


def _module_name(path: Path) -> str:
    return "workengine." + ".".join(path.relative_to(RUNTIME).with_suffix("").parts).removesuffix(".__init__")


def _import_time_imports(source: Path) -> set[str]:
    """Imports executed when the module is imported: outside functions, ``TYPE_CHECKING`` skipped."""
    names: set[str] = set()
    todo: list[ast.AST] = [ast.parse(source.read_text(encoding="utf-8"))]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        todo.extend(ast.iter_child_nodes(node))
    return names


def _collaborator_imports(name: str) -> set[str]:
    """What ``Container.<name>`` imports when it is built."""
    tree = ast.parse((RUNTIME / "composition.py").read_text(encoding="utf-8"))
    [built] = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == name]
    return {node.module for node in ast.walk(built) if isinstance(node, ast.ImportFrom) and node.module}


def _loaded(roots: set[str]) -> set[str]:
    modules = {_module_name(path): path for path in RUNTIME.rglob("*.py")}
    seen: set[str] = set()
    todo = [root for root in roots if root in modules]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(dep for dep in _import_time_imports(modules[name]) if dep in modules)
    return seen


def test_the_jobs_worker_never_loads_the_api_side_of_jobs() -> None:
    worker = _loaded({"workengine.handlers.jobs_worker", JOB_RUNNER} | _collaborator_imports("job_runner"))
    assert JOB_RUNNER in worker
    assert JOB_REQUESTS not in worker


def test_the_api_never_loads_the_worker_side_of_jobs() -> None:
    api_modules = {_module_name(path) for path in (RUNTIME / "handlers" / "api").rglob("*.py")}
    api = _loaded(api_modules | {JOB_REQUESTS} | _collaborator_imports("job_requests"))
    assert JOB_REQUESTS in api
    assert JOB_RUNNER not in api
