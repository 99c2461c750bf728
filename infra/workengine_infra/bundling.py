"""The one Lambda asset: ``functions/workengine`` + the compiled template catalog + runtime dependencies
(Powertools included: the functions run the Powertools version the tests ran with, no layer).

Bundled locally (no Docker): CDK calls ``LocalPythonBundling.try_bundle`` before it would start a
container, and we always succeed there. Dependencies are installed with pip for the Lambda platform
(``manylinux2014_aarch64``, CPython 3.12, wheels only), pinned to the versions the project is tested
with: the closure of the project's own dependencies in ``pyproject.toml`` minus what the runtime
provides (boto3) and what only the tooling needs.
With ``-c workengine:bundle=skip`` (or ``WORKENGINE_SKIP_BUNDLING=1``) the pip step is left out, which the
infrastructure tests use: the asset then holds only the code and the catalog.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib.metadata import requires, version
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from workengine_infra import constants as c

PACKAGE_NAME = "workengine"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".mypy_cache", ".pytest_cache")
# Environment markers evaluated as on the Lambda runtime, not on the synth machine.
_LAMBDA_MARKERS = {
    "python_version": c.PYTHON_RUNTIME_VERSION,
    "python_full_version": f"{c.PYTHON_RUNTIME_VERSION}.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "aarch64",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


def _applies(requirement: Requirement, extras: frozenset[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({**_LAMBDA_MARKERS, "extra": extra}) for extra in extras | {""})


def _requirements(distribution: str, extras: frozenset[str]) -> list[Requirement]:
    parsed = [Requirement(text) for text in requires(distribution) or []]
    return [requirement for requirement in parsed if _applies(requirement, extras)]


def runtime_requirements() -> list[Requirement]:
    """The project's own dependencies (``pyproject.toml``) the functions need: all unconditional ones but
    what the Lambda runtime provides and what only the tooling uses."""
    return [
        requirement
        for requirement in _requirements(c.PROJECT_DISTRIBUTION, frozenset())
        if canonicalize_name(requirement.name) not in c.RUNTIME_PROVIDED | c.TOOLING_ONLY
    ]


def pinned_requirements() -> list[str]:
    """``name==version`` for each bundled distribution and everything it needs (requested extras
    included), as installed where synth runs: the versions the tests ran with. Pinning the transitive ones
    matters: an unpinned ``python-dateutil`` resolves to a release the runtime's botocore refuses, and the
    asset shadows it. What the runtime provides (boto3, botocore, s3transfer) is left to the runtime."""
    pinned: dict[str, str] = {}
    extras_seen: dict[str, frozenset[str]] = {}
    pending = [(r.name, frozenset(r.extras)) for r in runtime_requirements()]
    while pending:
        name, extras = pending.pop()
        key = canonicalize_name(name)
        if key in c.RUNTIME_PROVIDED or (key in pinned and extras <= extras_seen[key]):
            continue
        extras_seen[key] = extras_seen.get(key, frozenset()) | extras
        pinned[key] = version(name)
        pending.extend((r.name, frozenset(r.extras)) for r in _requirements(name, extras_seen[key]))
    return [f"{name}=={pinned[name]}" for name in sorted(pinned)]


def pip_install_command(target: Path, requirements: list[str], *, for_lambda: bool = True) -> list[str]:
    """The pip call that installs the bundled dependencies into ``target``: wheels only, no resolver (the
    pins are the whole closure). ``for_lambda=False`` installs the same pins for the machine running it
    (the asset-import test)."""
    lambda_platform = [
        "--platform", c.LAMBDA_PLATFORM,
        *[argument for extra in c.LAMBDA_EXTRA_PLATFORMS for argument in ("--platform", extra)],
        "--implementation", "cp",
        "--python-version", c.PYTHON_RUNTIME_VERSION,
    ]  # fmt: skip
    platform = lambda_platform if for_lambda else []
    return [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        *platform, "--only-binary=:all:", "--no-deps", "--target", str(target), *requirements,
    ]  # fmt: skip


def write_asset(output_dir: Path, *, install_dependencies: bool) -> None:
    """Fill ``output_dir`` with the function package, its compiled catalog and (optionally) dependencies.

    Raises:
        CatalogError: the templates under ``content/`` are invalid (synth stops, nothing deploys).
        subprocess.CalledProcessError: pip failed.
    """
    from workengine.catalog.loader import COMPILED_CATALOG_NAME, compile_catalog

    package_dir = output_dir / PACKAGE_NAME
    shutil.copytree(c.FUNCTIONS_DIR / PACKAGE_NAME, package_dir, ignore=_IGNORED, dirs_exist_ok=True)
    compiled = compile_catalog(c.CONTENT_DIR)
    (package_dir / "catalog" / COMPILED_CATALOG_NAME).write_text(
        json.dumps(compiled, sort_keys=True, separators=(",", ":")), encoding="utf-8"
    )
    if install_dependencies:
        subprocess.run(pip_install_command(output_dir, pinned_requirements()), check=True)


@jsii.implements(ILocalBundling)
class LocalPythonBundling:
    """Runs on the synth machine (Python + Node.js only); CDK never falls back to Docker."""

    def __init__(self, *, install_dependencies: bool) -> None:
        self.install_dependencies = install_dependencies

    def try_bundle(self, output_dir: str, *args: Any, **kwargs: Any) -> bool:
        write_asset(Path(output_dir), install_dependencies=self.install_dependencies)
        return True


def function_code(*, install_dependencies: bool) -> lambda_.Code:
    """The asset every function shares (one upload, one hash of the bundled output)."""
    return lambda_.Code.from_asset(
        str(c.FUNCTIONS_DIR),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            # Never pulled: local bundling always succeeds. CDK requires an image to be named.
            image=DockerImage.from_registry(f"public.ecr.aws/sam/build-python{c.PYTHON_RUNTIME_VERSION}"),
            local=LocalPythonBundling(install_dependencies=install_dependencies),
        ),
    )
