"""Synthesizes the CDK app once per test session (dev and prod stages) with dependency bundling skipped."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

INFRA_DIR = Path(__file__).resolve().parents[2] / "infra"
if str(INFRA_DIR) not in sys.path:
    sys.path.insert(0, str(INFRA_DIR))
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
PROD_ORIGIN = "https://app.example.com"
PROD_ALARM_EMAIL = "ops@example.com"


@dataclass
class Synthesized:
    stage: str
    outdir: Path
    template: dict[str, Any]
    error: str | None
    stack: Any = None

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template.get("Resources", {})

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {key: value for key, value in self.resources.items() if value["Type"] == resource_type}

    def functions(self) -> dict[str, dict[str, Any]]:
        """The project's Lambda functions, told from CDK's provider functions by the project's tag."""
        from tests.support.stack_moto import project_functions

        return project_functions(self.resources)

    def validation_report(self) -> dict[str, Any]:
        return json.loads((self.outdir / "validation-report.json").read_text())

    def asset_dirs(self) -> list[Path]:
        """The staged code assets of the project's functions (not those of CDK's provider functions)."""
        hashes = {f["Properties"]["Code"]["S3Key"].removesuffix(".zip") for f in self.functions().values()}
        return sorted(
            path for path in self.outdir.glob("asset.*") if path.is_dir() and path.suffix[1:] in hashes
        )


def _synthesize(stage: str, outdir: Path) -> Synthesized:
    from workengine_infra.app import build_app

    context = {"stage": stage, "workengine:bundle": "skip"}
    if stage == "prod":  # prod refuses to synthesize without explicit origins and an alarm subscriber
        context |= {"workengine:allowed_origins": PROD_ORIGIN, "workengine:alarm_email": PROD_ALARM_EMAIL}
    app, stack = build_app(context, outdir=str(outdir))
    try:
        app.synth()
    except RuntimeError as exc:  # cdk-nag errors (or any other validation) fail the synth
        return Synthesized(stage, outdir, {}, str(exc), stack)
    template_file = outdir / f"{stack.stack_name}.template.json"
    return Synthesized(stage, outdir, json.loads(template_file.read_text()), None, stack)


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    yield _synthesize("dev", tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    yield _synthesize("prod", tmp_path_factory.mktemp("cdk-prod"))
