"""The local server over real HTTP: `workengine serve` in a subprocess, driven with dev tokens."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from workengine.settings import DEFAULT_DEV_SECRET
from workengine_tools.local.tokens import issue_token

REPO = Path(__file__).resolve().parents[2]
E2E_SECRET = "e2e-secret-0123456789-abcdefghijklmnop"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Http:
    def __init__(self, base: str, token: str | None) -> None:
        self.base = base
        self.token = token

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = "default"
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        bearer = self.token if token == "default" else token
        if bearer:
            request.add_header("Authorization", f"Bearer {bearer}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@dataclass(frozen=True)
class LocalStack:
    base: str
    moto_endpoint: str


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    yield from start_local_stack(tmp_path_factory, sweep_interval_seconds=1)


def start_local_stack(
    tmp_path_factory: pytest.TempPathFactory, *, sweep_interval_seconds: int
) -> Iterator[LocalStack]:
    """``workengine serve`` in a subprocess until the generator is closed (its log printed then)."""
    port, moto_port = free_port(), free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    log = log_path.open("w")
    env = {
        **os.environ,
        "WORKENGINE_DEV_JWT_SECRET": E2E_SECRET,
        "WORKENGINE_LOCAL_SWEEP_INTERVAL_SECONDS": str(sweep_interval_seconds),
        "AWS_ACCESS_KEY_ID": "e2e",
        "AWS_SECRET_ACCESS_KEY": "e2e",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    env.pop("AWS_ENDPOINT_URL", None)
    env.pop("WORKENGINE_CONTENT_PATH", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workengine_tools.cli.main",
            "serve",
            "--port",
            str(port),
            "--moto-port",
            str(moto_port),
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"server exited early:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            raise AssertionError("server did not come up within 60 s")
        yield LocalStack(base, f"http://127.0.0.1:{moto_port}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        # Shown by pytest with a failing test's output: what the server said while the module ran.
        print(f"--- local server log ({log_path}) ---\n{log_path.read_text()[-20000:]}")


@pytest.fixture(scope="module")
def server(local_stack: LocalStack) -> str:
    return local_stack.base


def proof_for(task: dict[str, Any]) -> dict[str, Any]:
    proof: dict[str, Any] = {}
    if "url" in task["proof_required"]:
        proof["url"] = "https://docs.example.com/evidence"
    if "comment" in task["proof_required"]:
        proof["comment"] = "Done and checked."
    if "external_status" in task["proof_required"]:
        proof["external_status"] = "approved"
    return proof


def test_a_workflow_runs_end_to_end_over_http(server: str) -> None:
    host = Http(server, issue_token(E2E_SECRET, tenant_id="studio", user_id="hana", role="member"))

    # Given a podcast episode bundle for the host
    status, created = host.call(
        "POST",
        "/bundles",
        {
            "template_id": "podcast-episode",
            "title": "Episode 42",
            "anchor_date": "2026-12-15",
            "inputs": {"guest_name": "Ada Lovelace"},
            "assignees": {"host": "hana", "producer": "hana", "editor": "hana"},
        },
    )
    assert status == 201, created
    bundle_id = created["bundle"]["bundle_id"]
    stages = [created["bundle"]["stage"]]

    # When the host works through the tasks listed as theirs
    status, mine = host.call("GET", "/tasks?assignee=me&limit=100")
    assert status == 200 and mine["items"]
    remaining = {t["task_id"] for t in created["tasks"]}
    for _ in range(len(remaining) + 1):
        for task in created["tasks"]:
            if task["task_id"] not in remaining:
                continue
            if "artifact" in task["proof_required"]:
                body: dict[str, Any] = {"status": "skipped", "skip_reason": "no recording this week"}
            else:
                body = {"status": "done", "proof": proof_for(task)}
            status, answer = host.call("PATCH", f"/tasks/{task['task_id']}", body)
            if status != 200:
                assert answer["error"]["code"] == "INVALID_TRANSITION", answer
                continue
            remaining.discard(task["task_id"])
            _, current = host.call("GET", f"/bundles/{bundle_id}")
            if current["bundle"]["stage"] != stages[-1]:
                stages.append(current["bundle"]["stage"])
        if not remaining:
            break

    # Then the stage moved through the phases and the bundle completed, with its history
    _, final = host.call("GET", f"/bundles/{bundle_id}")
    assert final["bundle"]["status"] == "completed"
    assert len(stages) >= 3

    # the local server's sweep publishes the stage_change reminders the stage moves created
    def published_stage_changes() -> list[dict[str, Any]]:
        items = host.call("GET", f"/reminders?bundle_id={bundle_id}&kind=stage_change&limit=100")[1]["items"]
        return items if items and all(r["status"] == "published" for r in items) else []

    assert wait_for(published_stage_changes)
    status, events = host.call("GET", f"/bundles/{bundle_id}/events")
    assert status == 200
    assert events["items"][0]["action"] == "created"
    assert sum(1 for e in events["items"] if e["entity_type"] == "task") >= len(created["tasks"])


def test_the_server_checks_tokens_like_the_jwt_authorizer(server: str) -> None:
    anonymous = Http(server, None)
    forged = Http(
        server, issue_token(DEFAULT_DEV_SECRET + "x", tenant_id="studio", user_id="eve", role="admin")
    )
    expired = Http(
        server, issue_token(E2E_SECRET, tenant_id="studio", user_id="hana", role="member", ttl_seconds=-60)
    )

    for client in (anonymous, forged, expired):
        status, body = client.call("GET", "/bundles")
        assert status == 401
        assert body["error"]["code"] == "UNAUTHORIZED"
    status, health = anonymous.call("GET", "/health")
    assert status == 200 and health == {"status": "ok"}
    status, openapi = anonymous.call("GET", "/openapi.json")
    assert status == 200 and "/bundles" in openapi["paths"]


def test_another_tenant_sees_nothing(server: str) -> None:
    owner = Http(server, issue_token(E2E_SECRET, tenant_id="studio", user_id="hana", role="member"))
    stranger = Http(server, issue_token(E2E_SECRET, tenant_id="other", user_id="otto", role="admin"))
    _, created = owner.call(
        "POST", "/bundles", {"template_id": "newsletter-issue", "title": "Dec", "anchor_date": "2026-12-01"}
    )

    status, body = stranger.call("GET", f"/bundles/{created['bundle']['bundle_id']}")

    assert status == 404 and body["error"]["code"] == "NOT_FOUND"


def test_seed_command_writes_the_demo_tenant_to_the_servers_backend(local_stack: LocalStack) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "workengine_tools.cli.main",
            "seed",
            "--endpoint-url",
            local_stack.moto_endpoint,
        ],
        cwd=REPO,
        env={
            **os.environ,
            "AWS_ACCESS_KEY_ID": "e2e",
            "AWS_SECRET_ACCESS_KEY": "e2e",
            "AWS_DEFAULT_REGION": "us-east-1",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr

    alice = Http(local_stack.base, issue_token(E2E_SECRET, tenant_id="demo", user_id="alice", role="admin"))
    status, listed = alice.call("GET", "/bundles?limit=100")
    assert status == 200
    assert len(listed["items"]) == 6
    assert {b["status"] for b in listed["items"]} >= {"active", "cancelled"}


def wait_for(check: Any, timeout: float = 30.0) -> Any:
    """Polls ``check()`` until it returns something truthy (background work of the local server)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError("the background work did not finish in time")


def test_assistant_jobs_chain_and_artifacts_upload_through_the_local_server(server: str) -> None:
    host = Http(server, issue_token(E2E_SECRET, tenant_id="radio", user_id="hana", role="member"))
    status, created = host.call(
        "POST",
        "/bundles",
        {
            "template_id": "podcast-episode",
            "title": "Episode 7",
            "anchor_date": "2026-12-20",
            "inputs": {"guest_name": "Grace Hopper"},
            "assignees": {},
        },
    )
    assert status == 201
    tasks = {t["template_task_ref"]: t for t in created["tasks"]}
    bundle_id = created["bundle"]["bundle_id"]
    assert (
        host.call(
            "PATCH", f"/tasks/{tasks['confirm_guest']['task_id']}", {"status": "done", "comment": "Booked"}
        )[0]
        == 200
    )

    # The research brief's assistant step runs in the background and fills the proof comment
    status, queued = host.call(
        "POST",
        "/assistant-jobs",
        {"bundle_id": bundle_id, "task_id": tasks["research_brief"]["task_id"], "kind": "task_step"},
    )
    assert status == 202 and queued["job"]["status"] == "queued"
    job_id = queued["job"]["job_id"]
    first = wait_for(
        lambda: (j := host.call("GET", f"/assistant-jobs/{job_id}")[1]["job"])["status"] == "succeeded" and j
    )
    assert first["output"]["questions"]
    brief = host.call("GET", f"/tasks/{tasks['research_brief']['task_id']}")[1]["task"]
    assert brief["proof"]["comment"] == first["output"]["summary"]

    # The prep-pack step's prompt chains the brief's questions
    status, queued = host.call(
        "POST",
        "/assistant-jobs",
        {"bundle_id": bundle_id, "task_id": tasks["send_prep_pack"]["task_id"], "kind": "task_step"},
    )
    assert status == 202
    second_id = queued["job"]["job_id"]
    second = wait_for(
        lambda: (
            (j := host.call("GET", f"/assistant-jobs/{second_id}")[1]["job"])["status"] == "succeeded" and j
        )
    )
    assert json.dumps(first["output"]["questions"][0])[1:-1] in second["prompt"]  # rendered as JSON

    # The recording is uploaded through a presigned URL; S3's notification marks it uploaded
    recording = b"RIFF....WAVEfmt " * 64
    status, artifact = host.call(
        "POST",
        f"/bundles/{bundle_id}/artifacts",
        {
            "filename": "episode-7.wav",
            "content_type": "audio/wav",
            "size_bytes": len(recording),
            "task_id": tasks["record_episode"]["task_id"],
        },
    )
    assert status == 201, artifact
    upload = urllib.request.Request(artifact["upload_url"], data=recording, method="PUT")
    for name, value in artifact["upload_headers"].items():
        upload.add_header(name, value)
    with urllib.request.urlopen(upload, timeout=30) as response:
        assert response.status == 200
    artifact_id = artifact["artifact"]["artifact_id"]
    uploaded = wait_for(
        lambda: (
            (a := host.call("GET", f"/artifacts/{artifact_id}")[1])["artifact"]["status"] == "uploaded" and a
        )
    )
    with urllib.request.urlopen(uploaded["download_url"], timeout=30) as response:
        assert response.read() == recording

    # and it satisfies the recording task's artifact proof
    for key, body in (
        ("research_brief", {"status": "done"}),
        ("send_prep_pack", {"status": "done", "proof": {"url": "https://mail.example.com/sent/1"}}),
        ("record_episode", {"status": "done", "proof": {"artifact_ids": [artifact_id]}}),
    ):
        status, answer = host.call("PATCH", f"/tasks/{tasks[key]['task_id']}", body)
        assert status == 200, (key, answer)


def test_fields_and_conditions_drive_the_renewal_through_the_local_server(local_stack: LocalStack) -> None:
    csm = Http(local_stack.base, issue_token(E2E_SECRET, tenant_id="saas", user_id="cleo", role="member"))
    # Given a renewal far out: the escalation path waits for the usage review's risk
    status, created = csm.call(
        "POST",
        "/bundles",
        {"template_id": "customer-renewal", "title": "Acme renewal", "anchor_date": "2030-03-31"},
    )
    assert status == 201, created
    tasks = {t["template_task_ref"]: t for t in created["tasks"]}
    assert tasks["escalate_risk"]["condition"] == "pending" and tasks["exec_call"]["status"] == "skipped"
    comment = {"comment": "reviewed"}
    assert (
        csm.call("PATCH", f"/tasks/{tasks['health_check']['task_id']}", {"status": "done", "proof": comment})[
            0
        ]
        == 200
    )

    # When the usage review is completed without its required risk field, then with a low risk
    review = f"/tasks/{tasks['usage_review']['task_id']}"
    status, refused = csm.call("PATCH", review, {"status": "done", "proof": comment})
    assert status == 422 and refused["error"]["code"] == "MISSING_FIELDS"
    assert refused["error"]["details"]["missing"] == ["risk_level"]
    status, bad = csm.call("PATCH", review, {"fields": {"risk_level": "catastrophic"}})
    assert status == 422 and bad["error"]["details"]["field"] == "fields.risk_level"
    status, done = csm.call(
        "PATCH", review, {"status": "done", "proof": comment, "fields": {"risk_level": "low"}}
    )
    assert status == 200, done

    # Then the escalation and the rescue plan are skipped by their conditions in that same request
    status, bundle = csm.call("GET", f"/bundles/{created['bundle']['bundle_id']}")
    after = {t["template_task_ref"]: t for t in bundle["tasks"]}
    for key in ("escalate_risk", "rescue_plan"):
        assert (after[key]["status"], after[key]["condition"], after[key]["skip_reason"]) == (
            "skipped",
            "not_met",
            "condition",
        )
    # And the bundle's pinned definition is served
    status, definition = csm.call("GET", f"/bundles/{created['bundle']['bundle_id']}/template")
    assert status == 200 and definition["template_id"] == "customer-renewal"
    assert created["bundle"]["template_version"].startswith(f"{definition['version']}+")


def test_twenty_parallel_clients_are_all_served(server: str) -> None:
    """20 clients connecting at once: with the default listen backlog of 5 connections were reset.
    They read (parallel writers of one bundle, the write-skew reproduction, run in
    tests/reliability/test_concurrency.py: on this moto every transaction deep-copies the whole table,
    seconds each once the e2e tests have filled it, which would time out 20 writers here)."""
    from concurrent.futures import ThreadPoolExecutor

    # Given
    host = Http(server, issue_token(E2E_SECRET, tenant_id="parallel", user_id="pia", role="member"))
    body = {
        "template_id": "podcast-episode",
        "title": "Episode",
        "anchor_date": "2026-12-20",
        "inputs": {"guest_name": "Ada"},
    }
    status, created = host.call("POST", "/bundles", body)
    assert status == 201, created
    path = f"/bundles/{created['bundle']['bundle_id']}"

    # When
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: host.call("GET", path), range(20)))

    # Then
    assert [status for status, _ in answers] == [200] * 20
    assert all(answer == created for _, answer in answers)


def _put(url: str, data: bytes, headers: dict[str, str]) -> None:
    upload = urllib.request.Request(url, data=data, method="PUT")
    for name, value in headers.items():
        upload.add_header(name, value)
    with urllib.request.urlopen(upload, timeout=30) as response:
        assert response.status == 200


def test_accepted_evidence_cannot_be_swapped_through_the_local_server(server: str) -> None:
    # Given an uploaded recording taken as proof of the recording task
    host = Http(server, issue_token(E2E_SECRET, tenant_id="studio", user_id="ivo", role="member"))
    status, created = host.call(
        "POST",
        "/bundles",
        {
            "template_id": "podcast-episode",
            "title": "Ep 9",
            "anchor_date": "2026-12-20",
            "inputs": {"guest_name": "Ivo"},
        },
    )
    assert status == 201, created
    bundle_id = created["bundle"]["bundle_id"]
    task_id = next(t["task_id"] for t in created["tasks"] if t["template_task_ref"] == "record_episode")
    original = b"RIFF-original-WAVEfmt " * 32
    status, artifact = host.call(
        "POST",
        f"/bundles/{bundle_id}/artifacts",
        {"filename": "ep9.wav", "content_type": "audio/wav", "size_bytes": len(original), "task_id": task_id},
    )
    assert status == 201, artifact
    artifact_id = artifact["artifact"]["artifact_id"]
    _put(artifact["upload_url"], original, artifact["upload_headers"])
    wait_for(lambda: host.call("GET", f"/artifacts/{artifact_id}")[1]["artifact"]["status"] == "uploaded")
    status, _ = host.call("PATCH", f"/tasks/{task_id}", {"proof": {"artifact_ids": [artifact_id]}})
    assert status == 200

    # When other bytes of the same size and type are PUT to the same, still valid, upload URL
    forged = b"RIFF-replaced-WAVEfmt " * 32
    assert len(forged) == len(original)
    _put(artifact["upload_url"], forged, artifact["upload_headers"])

    # Then the upload check records the write, and the download still serves the accepted bytes
    def overwrite_recorded() -> Any:
        items = host.call("GET", f"/bundles/{bundle_id}/events")[1]["items"]
        return [e for e in items if e["action"] == "overwrite_ignored"]

    (event,) = wait_for(overwrite_recorded)
    assert event["after"]["ignored_object"]["sha256"] == hashlib.sha256(forged).hexdigest()
    fetched = host.call("GET", f"/artifacts/{artifact_id}")[1]
    assert fetched["artifact"]["status"] == "uploaded"
    assert fetched["artifact"]["sha256"] == hashlib.sha256(original).hexdigest()
    with urllib.request.urlopen(fetched["download_url"], timeout=30) as response:
        assert response.read() == original
    # and the task's audit trail names the checksum of what it took as proof
    items = host.call("GET", f"/bundles/{bundle_id}/events")[1]["items"]
    (proof_event,) = [e for e in items if e["entity_id"] == task_id and e.get("evidence")]
    assert proof_event["evidence"][0]["sha256"] == hashlib.sha256(original).hexdigest()
