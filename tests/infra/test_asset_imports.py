"""The Lambda asset imports and answers on what Lambda gives it: the asset the stack synthesized (runtime
package + compiled catalog) plus its pinned dependencies installed the way the stack installs them, but for
this machine's platform, in a clean interpreter holding only boto3 (what the Python runtime provides; the
stack attaches no layers). Every handler in the template is imported there, and the API handler answers an
HTTP API (payload 2.0) event for a real route against moto. The dependency environment is cached under
``.venv/asset-test/<hash of the pins>`` (built once per set of pins, shared by xdist workers)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import Synthesized
from tests.support.stack_moto import CREDENTIALS, MotoStack, moto_server
from workengine.dal import table as t
from workengine.dal.codec import deserialize
from workengine_infra import constants as c
from workengine_infra.bundling import PACKAGE_NAME, pinned_requirements, pip_install_command
from workengine_tools.local.events import http_api_event

REPO = Path(__file__).resolve().parents[2]
CACHE_ROOT = REPO / ".venv" / "asset-test"
PROBE = Path(__file__).with_name("asset_probe.py")
# What the Python 3.12 Lambda runtime ships besides the standard library.
RUNTIME_PROVIDED = [f"{name}=={version(name)}" for name in ("boto3", "botocore", "s3transfer")]
CLAIMS = {"sub": "mia", "custom:tenant_id": "acme", "custom:role": "member"}


@dataclass(frozen=True)
class LambdaLikeEnv:
    python: Path  # a venv's interpreter with only the runtime-provided packages
    dependencies: Path  # the asset's pinned dependencies, installed for this platform
    bytecode: Path


def _site_packages(venv_dir: Path) -> Path:
    paths = sysconfig.get_paths(vars={"base": str(venv_dir), "platbase": str(venv_dir)})
    return Path(paths["purelib"])


def _build(root: Path, pins: list[str]) -> None:
    subprocess.run(pip_install_command(root / "deps", pins, for_lambda=False), check=True)
    venv.EnvBuilder(with_pip=False, clear=True).create(root / "venv")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
         "--only-binary=:all:", "--target", str(_site_packages(root / "venv")), *RUNTIME_PROVIDED],
        check=True,
    )  # fmt: skip


@pytest.fixture(scope="session")
def lambda_like_env() -> LambdaLikeEnv:
    pins = pinned_requirements()
    key = hashlib.sha256(
        "\n".join([*pins, *RUNTIME_PROVIDED, sys.version, platform.machine()]).encode()
    ).hexdigest()[:16]
    root = CACHE_ROOT / key
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with (CACHE_ROOT / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers share one build
        if not (root / "complete").exists():
            shutil.rmtree(root, ignore_errors=True)
            _build(root, pins)
            (root / "complete").write_text("\n".join(pins))
    return LambdaLikeEnv(root / "venv" / "bin" / "python", root / "deps", root / "pycache")


@pytest.fixture(scope="session")
def moto_stack(dev: Synthesized) -> Iterator[MotoStack]:
    with moto_server() as endpoint:
        yield MotoStack(dev.template, endpoint)


def _probe(
    env: LambdaLikeEnv, asset: Path, stack: MotoStack, function_id: str, tmp: Path, event: Any = None
) -> dict[str, Any]:
    handler = stack.resources[function_id]["Properties"]["Handler"]
    spec = tmp / f"{function_id}.json"
    result = tmp / f"{function_id}.result.json"
    spec.write_text(
        json.dumps(
            {"handler": handler, "asset_roots": [str(asset), str(env.dependencies)], "event": event,
             "result": str(result)}
        )
    )  # fmt: skip
    environment = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": os.pathsep.join([str(asset), str(env.dependencies)]),  # /var/task
        "PYTHONPYCACHEPREFIX": str(env.bytecode),  # keeps the asset as synthesized, speeds up reruns
        "LAMBDA_TASK_ROOT": str(asset),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{c.PYTHON_RUNTIME_VERSION}",
        "AWS_LAMBDA_FUNCTION_NAME": stack.resolve({"Ref": function_id}),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(stack.resources[function_id]["Properties"]["MemorySize"]),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "AWS_ENDPOINT_URL": stack.endpoint,
        **CREDENTIALS,
        **stack.environment(function_id),
    }
    completed = subprocess.run(
        [str(env.python), str(PROBE), str(spec)],
        cwd=asset,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, f"{handler}:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    return dict(json.loads(result.read_text()))


def test_every_handler_in_the_template_imports_from_the_asset_alone(
    dev: Synthesized, lambda_like_env: LambdaLikeEnv, moto_stack: MotoStack, tmp_path: Path
) -> None:
    (asset,) = dev.asset_dirs()
    functions = moto_stack.functions()
    assert functions
    for function_id in functions:
        result = _probe(lambda_like_env, asset, moto_stack, function_id, tmp_path)
        assert result["callable"], function_id
        assert Path(result["module_file"]).resolve().is_relative_to((asset / PACKAGE_NAME).resolve())
        assert result["importable_forbidden"] == [], function_id  # no tooling, no dev dependencies
        assert result["loaded_from_elsewhere"] == [], function_id


def test_api_handler_creates_a_bundle_on_moto_from_an_http_api_event(
    dev: Synthesized, lambda_like_env: LambdaLikeEnv, moto_stack: MotoStack, tmp_path: Path
) -> None:
    (asset,) = dev.asset_dirs()
    (api_id,) = [k for k, v in moto_stack.functions().items() if v["Properties"]["Handler"] == c.API_HANDLER]
    event = http_api_event(
        "POST",
        "/bundles",
        body={
            "template_id": "podcast-episode",
            "title": "Episode 42",
            "anchor_date": "2026-12-14",
            "inputs": {"guest_name": "Ada Lovelace"},
        },
        claims=CLAIMS,
    )

    result = _probe(lambda_like_env, asset, moto_stack, api_id, tmp_path, event)

    response = result["response"]
    assert response["statusCode"] == 201, response
    bundle = json.loads(response["body"])["bundle"]
    table = moto_stack.environment(api_id)["WORKENGINE_TABLE_NAME"]
    items = moto_stack.client("dynamodb").query(
        TableName=table,
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": t.PK},
        ExpressionAttributeValues={":pk": {"S": t.bundle_pk("acme", bundle["bundle_id"])}},
    )["Items"]
    assert any(deserialize(item).get("title") == "Episode 42" for item in items)
