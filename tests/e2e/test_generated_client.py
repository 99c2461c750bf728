"""A new user's path: generate a Python client from the served ``/openapi.json`` with
openapi-python-client, authorize it with a ``workengine token`` token, and work through it — typed
results for successes, typed ``Error`` bodies for 404, 409 and 422."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import LocalServer, aws_env, local_server

__all__ = ["aws_env", "local_server"]

BIN = Path(sys.executable).parent
PACKAGE = "workengine_client"


@pytest.fixture
def generated(local_server: LocalServer, tmp_path: Path) -> Any:
    """The generated package, imported from a fresh directory."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--url",
            f"{local_server.base_url}/openapi.json",
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / PACKAGE),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def operation(tag: str, operation_id: str) -> Any:
    """The generated module of one operation: ``api/<tag>/<operation_id>.py``."""
    return importlib.import_module(f"{PACKAGE}.api.{tag.replace('-', '_')}.{operation_id}")


def cli_token(**claims: str) -> str:
    run = subprocess.run(
        [str(BIN / "workengine"), "token", "--tenant", claims["tenant"], "--user", claims["user"],
         "--role", claims["role"]],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return run.stdout.strip()


def test_a_generated_client_drives_the_api_with_typed_results_and_errors(
    local_server: LocalServer, generated: Any
) -> None:
    # Given: the generated package, authorized with a token from `workengine token`
    client_mod = importlib.import_module(f"{PACKAGE}.client")
    models = importlib.import_module(f"{PACKAGE}.models")
    create_bundle, get_bundle = operation("bundles", "create_bundle"), operation("bundles", "get_bundle")
    list_tasks, patch_task = operation("tasks", "list_tasks"), operation("tasks", "patch_task")
    token = cli_token(tenant="acme", user="mia", role="member")
    client = client_mod.AuthenticatedClient(base_url=local_server.base_url, token=token)

    # When: a bundle is created
    body = models.CreateBundleBody(template_id="test-flow", title="Generated", anchor_date=date(2030, 1, 31))
    body.assignees = models.CreateBundleBodyAssignees.from_dict({"owner": "mia"})
    created = create_bundle.sync(client=client, body=body)

    # Then: the answer is typed down to the bundle's ID
    assert isinstance(created, models.BundleWithTasks)
    bundle_id = created.bundle.bundle_id
    assert bundle_id.startswith("b_") and created.bundle.status == models.BundleStatus.ACTIVE

    # When: I list my tasks and complete the first one with its proof
    page = list_tasks.sync(client=client, assignee="me")
    assert isinstance(page, models.TaskPage)
    draft = next(t for t in page.items if t.bundle_id == bundle_id and t.template_task_ref == "draft")
    done = patch_task.sync(
        client=client,
        task_id=draft.task_id,
        body=models.PatchTaskBody(
            status=models.TaskStatus.DONE, proof=models.ProofBody(url="https://example.com/plan")
        ),
    )
    assert isinstance(done, models.TaskEnvelope) and done.task.status == models.TaskStatus.DONE

    # Then: a 404, a 409 and a 422 arrive as typed Error bodies with their codes
    missing = get_bundle.sync_detailed(client=client, bundle_id="b_nope")
    assert missing.status_code == 404 and isinstance(missing.parsed, models.Error)
    assert missing.parsed.error.code == models.ErrorCode.NOT_FOUND

    stale = patch_task.sync_detailed(
        client=client, task_id=draft.task_id, body=models.PatchTaskBody(comment="late", expected_version=1)
    )
    assert stale.status_code == 409 and isinstance(stale.parsed, models.Error)
    assert stale.parsed.error.code == models.ErrorCode.VERSION_CONFLICT

    review = next(t for t in created.tasks if t.template_task_ref == "review")
    refused = patch_task.sync_detailed(
        client=client, task_id=review.task_id, body=models.PatchTaskBody(status=models.TaskStatus.DONE)
    )
    assert refused.status_code == 422 and isinstance(refused.parsed, models.Error)
    assert refused.parsed.error.code == models.ErrorCode.MISSING_PROOF
    assert refused.parsed.error.details["missing"] == ["comment"]


def test_swagger_ui_offers_authorize_with_the_bearer_scheme(local_server: LocalServer) -> None:
    # Given: Swagger UI as a browser loads it
    with urllib.request.urlopen(f"{local_server.base_url}/docs", timeout=30) as response:
        page = response.read().decode()

    # Then: the embedded document declares the bearer JWT scheme (Swagger's Authorize button) and
    # applies it, and a `workengine token` token is what that scheme accepts
    assert '"securitySchemes"' in page and '"bearerAuth"' in page and '"bearerFormat": "JWT"' in page
    assert '"security": [\n' in page or '"security":[' in page or '"bearerAuth": []' in page
    token = cli_token(tenant="acme", user="mia", role="viewer")
    request = urllib.request.Request(
        f"{local_server.base_url}/templates", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
