"""``workengine seed --showcase all --tenant acme --endpoint-url ...`` against the local server's backend,
as a user runs it: the JSON summary, a second run that creates nothing, an export that validates and the
showcase bundles served by the local API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_local_server import E2E_SECRET, REPO, Http, LocalStack, start_local_stack
from workengine_tools.local.tokens import issue_token


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A server of this module's own (a fresh backend, not one the other e2e tests filled) whose sweep
    waits: the seeding runs its own sweeps at the story's times."""
    yield from start_local_stack(tmp_path_factory, sweep_interval_seconds=3600)


def _cli(stack: LocalStack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "e2e",
        "AWS_SECRET_ACCESS_KEY": "e2e",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    env.pop("WORKENGINE_CONTENT_PATH", None)
    return subprocess.run(
        [sys.executable, "-m", "workengine_tools.cli.main", *args, "--endpoint-url", stack.moto_endpoint],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _seed(stack: LocalStack) -> dict[str, Any]:
    result = _cli(stack, "seed", "--showcase", "all", "--tenant", "acme", "--json")
    assert result.returncode == 0, result.stderr[-4000:]
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def test_seeding_every_showcase_twice_then_exporting_the_tenant(
    local_stack: LocalStack, tmp_path: Path
) -> None:
    # When every showcase is seeded into tenant acme
    first = _seed(local_stack)

    # Then the summary names each with what it created
    assert first["success"] is True and first["metrics"]["execution_ms"] > 0
    assert {name: entry["status"] for name, entry in first["showcases"].items()} == {
        "ev-charging": "seeded",
        "global-hcm": "seeded",
        "renewal-journey": "seeded",
    }
    created = sum(entry["bundles"] for entry in first["showcases"].values())
    assert created == 7 and all(entry["artifacts"] > 0 for entry in first["showcases"].values())

    # When it runs again, nothing is created
    second = _seed(local_stack)
    assert {entry["status"] for entry in second["showcases"].values()} == {"already_seeded"}
    assert sum(entry["bundles"] + entry["tasks"] for entry in second["showcases"].values()) == 0
    admin = Http(local_stack.base, issue_token(E2E_SECRET, tenant_id="acme", user_id="ada", role="admin"))
    status, listed = admin.call("GET", "/bundles?limit=100")
    assert status == 200 and len(listed["items"]) == 7

    # And the tenant's export passes the validator
    out = tmp_path / "export"
    exported = _cli(local_stack, "export", "--tenant", "acme", "--out", str(out), "--json")
    assert exported.returncode == 0, exported.stderr[-4000:]
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "workengine_tools.cli.main",
            "export",
            "validate",
            str(out),
            "--allow-unsigned",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # And the plain demo seed is once-only too, in the tenant asked for
    demo = _cli(local_stack, "seed", "--tenant", "acme-demo", "--json")
    again = _cli(local_stack, "seed", "--tenant", "acme-demo", "--json")
    assert demo.returncode == again.returncode == 0, demo.stderr + again.stderr
    assert (
        json.loads(demo.stdout)["status"] == "seeded"
        and json.loads(again.stdout)["status"] == "already_seeded"
    )
    assert json.loads(again.stdout)["bundles"] == []
