"""Figure: cold import time of each Lambda entry module in a fresh interpreter, against ``import boto3``,
and the first request after it.

Each sample is a new ``python`` process that times only the import (interpreter start excluded);
samples of all modules alternate so machine noise spreads evenly. The environment is Lambda-like
(``AWS_LAMBDA_FUNCTION_NAME`` set, tracing not disabled). Two floors are measured in the same run: the
libraries every function needs (boto3, pydantic, Powertools logging and metrics) and, for the API, the
same plus the Powertools event handler. The first request is one process that imports the API module and
answers one ``GET /bundles`` against a moto server (settings, clients, one Query), as a cold start does.
Modules the API path must not pay for are listed when a module pulls them in.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections import defaultdict

from workengine_tools.bench.figure import BenchConfig, Figure, median, module_exists, ms

API_MODULE = "workengine.handlers.api.app"
GOAL_RATIO = 1.6
GOAL_RATIOS = {API_MODULE: 2.0}  # the resolver, OpenAPI validation and every route's models
BASELINE = "boto3"
FLOOR = "boto3+pydantic+aws_lambda_powertools.logging+aws_lambda_powertools.metrics"
API_FLOOR = f"{FLOOR}+aws_lambda_powertools.event_handler"
# Extension point: every Lambda entry module CDK wires; missing ones are reported as not available yet.
ENTRY_MODULES: tuple[str, ...] = (
    API_MODULE,
    "workengine.handlers.sweep",
    "workengine.handlers.sweep_worker",
    "workengine.handlers.jobs_worker",
    "workengine.handlers.artifact_uploaded",
    "workengine.handlers.export_worker",
    "workengine.handlers.event_trigger",
    "workengine.handlers.stats_aggregator",
    "workengine.handlers.notifier",
)
# What each entry's first invocation builds from the composition root before it calls AWS: imported and
# built after the module in the same process, to show what the module's import left for the invocation
# (the API's is its first request, measured against moto below).
FIRST_INVOCATION: dict[str, tuple[str, ...]] = {
    "workengine.handlers.sweep": ("sweep_service", "condition_sweep"),
    "workengine.handlers.sweep_worker": ("sweep_service",),
    "workengine.handlers.jobs_worker": ("job_runner",),
    "workengine.handlers.artifact_uploaded": ("artifact_service",),
    "workengine.handlers.export_worker": ("export_service",),
    "workengine.handlers.event_trigger": ("event_trigger_service",),
    "workengine.handlers.stats_aggregator": ("stats_aggregator",),
    "workengine.handlers.notifier": ("notifications",),
}
# Heavy or development-only packages no Lambda entry module should import at cold start.
UNWANTED_AT_COLD_START: tuple[str, ...] = (
    "moto", "yaml", "jsonschema", "croniter", "schemathesis", "jwt", "aws_xray_sdk", "workengine_tools",
)  # fmt: skip

_PROBE = """
import json, sys, time
names = sys.argv[1].split("+")
start = time.perf_counter()
for name in names:
    __import__(name)
seconds = time.perf_counter() - start
unwanted = [m for m in sys.argv[2].split(",") if m in sys.modules]
if len(sys.argv) > 3 and sys.argv[3]:
    from workengine.composition import container
    for collaborator in sys.argv[3].split(","):
        getattr(container(), collaborator)
built = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "built": built, "unwanted": unwanted}))
"""

_FIRST_REQUEST = """
import json, sys, time, uuid
event = json.loads(sys.argv[1])
class Context:
    function_name = "bench"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"
    aws_request_id = str(uuid.uuid4())
    def get_remaining_time_in_millis(self):
        return 29000
start = time.perf_counter()
from workengine.handlers.api.app import lambda_handler
imported = time.perf_counter()
response = lambda_handler(event, Context())
done = time.perf_counter()
print(json.dumps({"import": imported - start, "request": done - imported, "status": response["statusCode"]}))
"""


def probe_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    env.setdefault("AWS_LAMBDA_FUNCTION_NAME", "bench")  # Powertools behaves as in Lambda
    # A Lambda's cold start refuses development fallbacks; the stack sets these (the secret by ARN).
    env.setdefault("WORKENGINE_PAGINATION_SECRET", "bench-only-pagination-secret-0123456789")
    env.setdefault("WORKENGINE_EXPORT_FUNCTION_NAME", "bench-export-worker")
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    return env


def probe(name: str, env: dict[str, str]) -> dict[str, object]:
    collaborators = ",".join(FIRST_INVOCATION.get(name, ()))
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, name, ",".join(UNWANTED_AT_COLD_START), collaborators],
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


def first_requests(env: dict[str, str], runs: int) -> list[tuple[float, float]]:
    """(import, first request) seconds of ``runs`` fresh API processes against a moto server."""
    import boto3
    from moto.server import ThreadedMotoServer

    from workengine.dal.table import create_table_kwargs
    from workengine_tools.local.events import http_api_event

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    table = "workengine-first-request"
    try:
        boto3.client(
            "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="bench", aws_secret_access_key="bench",
        ).create_table(**create_table_kwargs(table))  # fmt: skip
        request_env = {
            **env, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench", "WORKENGINE_TABLE_NAME": table,
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }  # fmt: skip
        claims = {"sub": "mia", "custom:tenant_id": "acme", "custom:role": "member"}
        event = json.dumps(http_api_event("GET", "/bundles", claims=claims))
        samples = []
        for _ in range(runs):
            completed = subprocess.run(
                [sys.executable, "-c", _FIRST_REQUEST, event],
                capture_output=True, text=True, env=request_env, check=False, timeout=120,
            )  # fmt: skip
            if completed.returncode != 0:
                raise RuntimeError(f"first request failed:\n{completed.stderr[-2000:]}")
            result = json.loads(completed.stdout.strip().splitlines()[-1])
            if result["status"] != 200:
                raise RuntimeError(f"first request answered {result['status']}")
            samples.append((float(result["import"]), float(result["request"])))
        return samples
    finally:
        server.stop()


def measure(config: BenchConfig, modules: tuple[str, ...] = ENTRY_MODULES) -> Figure:
    runs = 3 if config.quick else max(5, config.import_runs)
    present = [name for name in modules if module_exists(name)]
    missing = [name for name in modules if name not in present]
    env = probe_env()
    samples: dict[str, list[float]] = defaultdict(list)
    built: dict[str, list[float]] = defaultdict(list)
    unwanted: dict[str, list[str]] = {}
    probed = [BASELINE, FLOOR, API_FLOOR, *present]
    for name in probed:
        probe(name, env)  # warm-up: bytecode caches written, files in the page cache
    for _ in range(runs):
        for name in probed:
            result = probe(name, env)
            samples[name].append(float(result["seconds"]))  # type: ignore[arg-type]
            built[name].append(float(result["built"]))  # type: ignore[arg-type]
            unwanted[name] = list(result["unwanted"])  # type: ignore[call-overload]
    baseline = median(samples[BASELINE])
    figure = Figure(
        key="cold_import",
        title=f"Cold import in a fresh interpreter (median of {runs})",
        columns=[
            "module",
            "import ms",
            "ratio to import boto3",
            "goal",
            "result",
            "+ first invocation's collaborators: ms (ratio)",
            "unwanted modules loaded",
        ],
        goal=f"ratio <= {GOAL_RATIOS[API_MODULE]} for the API module, <= {GOAL_RATIO} for the others",
    )
    labels = {
        BASELINE: "import boto3 (baseline)",
        FLOOR: "floor: boto3 + pydantic + Powertools logging/metrics",
        API_FLOOR: "API floor: the floor + Powertools event handler",
    }
    for name in probed:
        value = median(samples[name])
        ratio = round(value / baseline, 2)
        goal = GOAL_RATIOS.get(name, GOAL_RATIO) if name in present else None
        figure.rows.append(
            {
                "module": labels.get(name, name),
                "import ms": ms(value),
                "ratio to import boto3": ratio,
                "goal": f"<= {goal}" if goal else "-",
                "result": ("PASS" if ratio <= goal else "MISS") if goal else "-",
                "+ first invocation's collaborators: ms (ratio)": (
                    f"{ms(median(built[name]))} ({round(median(built[name]) / baseline, 2)})"
                    if name in FIRST_INVOCATION
                    else "-"
                ),
                "unwanted modules loaded": ", ".join(unwanted[name]) or "-",
            }
        )
    judged = [row for row in figure.rows if row["result"] != "-"]
    figure.goal_met = bool(judged) and all(row["result"] == "PASS" for row in judged)
    if API_MODULE in present:
        requests = first_requests(env, runs)
        imported = median([s[0] for s in requests])
        answered = median([s[1] for s in requests])
        figure.notes.append(
            f"first request after import ({API_MODULE} + one GET /bundles on moto, settings and clients "
            f"created): import {ms(imported)} ms + request {ms(answered)} ms = {ms(imported + answered)} ms "
            f"({round((imported + answered) / baseline, 2)} x import boto3)"
        )
    for name in missing:
        figure.notes.append(f"{name}: not available yet")
    if present and not config.quick:
        heavy = heaviest_packages(present[0], env)
        figure.notes.append(
            f"{present[0]} self time by package: "
            + ", ".join(f"{package} {ms(seconds)} ms" for package, seconds in heavy)
        )
    return figure
