"""Figure: cold import time of each Lambda entry module in a fresh interpreter, against ``import boto3``.

Each sample is a new ``python`` process that times only the import (interpreter start excluded);
samples of all modules alternate so machine noise spreads evenly. The environment is Lambda-like
(tracing on). Modules the API path must not pay for are listed when a module pulls them in.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections import defaultdict

from workengine_tools.bench.figure import BenchConfig, Figure, median, ms

GOAL_RATIO = 1.6
BASELINE = "boto3"
# Extension point: every Lambda entry module CDK wires; missing ones are reported as not available yet.
ENTRY_MODULES: tuple[str, ...] = (
    "workengine.handlers.api.app",
    "workengine.handlers.sweep",
    "workengine.handlers.jobs_worker",
    "workengine.handlers.artifact_uploaded",
    "workengine.handlers.export_worker",
)
# Heavy or development-only packages no Lambda entry module should import at cold start.
UNWANTED_AT_COLD_START: tuple[str, ...] = ("moto", "yaml", "jsonschema", "croniter", "schemathesis", "jwt")

_PROBE = """
import json, sys, time
name = sys.argv[1]
start = time.perf_counter()
__import__(name)
seconds = time.perf_counter() - start
unwanted = [m for m in sys.argv[2].split(",") if m in sys.modules]
print(json.dumps({"seconds": seconds, "unwanted": unwanted}))
"""


def module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def probe_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    env.pop("POWERTOOLS_TRACE_DISABLED", None)  # in Lambda, tracing is on and the X-Ray SDK loads
    return env


def probe(name: str, env: dict[str, str]) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, name, ",".join(UNWANTED_AT_COLD_START)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"importing {name} failed:\n{completed.stderr[-2000:]}")
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def heaviest_packages(name: str, env: dict[str, str], top: int = 6) -> list[tuple[str, float]]:
    """Self import time summed per top-level package (``python -X importtime``)."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {name}"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    totals: dict[str, float] = defaultdict(float)
    for line in completed.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or "self" in parts[0]:
            continue
        self_us = int(parts[0].split(":")[1])
        package = parts[2].strip().split(".")[0]
        totals[package] += self_us / 1e6
    return sorted(totals.items(), key=lambda item: -item[1])[:top]


def measure(config: BenchConfig, modules: tuple[str, ...] = ENTRY_MODULES) -> Figure:
    runs = 3 if config.quick else max(5, config.import_runs)
    present = [name for name in modules if module_exists(name)]
    missing = [name for name in modules if name not in present]
    env = probe_env()
    samples: dict[str, list[float]] = defaultdict(list)
    unwanted: dict[str, list[str]] = {}
    for name in [BASELINE, *present]:
        probe(name, env)  # warm-up: bytecode caches written, files in the page cache
    for _ in range(runs):
        for name in [BASELINE, *present]:
            result = probe(name, env)
            samples[name].append(float(result["seconds"]))  # type: ignore[arg-type]
            unwanted[name] = list(result["unwanted"])  # type: ignore[call-overload]
    baseline = median(samples[BASELINE])
    figure = Figure(
        key="cold_import",
        title=f"Cold import in a fresh interpreter (median of {runs})",
        columns=["module", "import ms", "ratio to import boto3", "unwanted modules loaded"],
        goal=f"ratio <= {GOAL_RATIO}",
    )
    for name in [BASELINE, *present]:
        value = median(samples[name])
        figure.rows.append(
            {
                "module": name if name != BASELINE else "import boto3 (baseline)",
                "import ms": ms(value),
                "ratio to import boto3": round(value / baseline, 2),
                "unwanted modules loaded": ", ".join(unwanted[name]) or "-",
            }
        )
    measured = [row for row in figure.rows if row["module"] != "import boto3 (baseline)"]
    figure.goal_met = bool(measured) and all(row["ratio to import boto3"] <= GOAL_RATIO for row in measured)
    for name in missing:
        figure.notes.append(f"{name}: not available yet")
    if present and not config.quick:
        heavy = heaviest_packages(present[0], env)
        figure.notes.append(
            f"{present[0]} self time by package: "
            + ", ".join(f"{package} {ms(seconds)} ms" for package, seconds in heavy)
        )
    return figure
