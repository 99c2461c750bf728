"""Concurrent writers, as separate Lambda instances would be: 20 forked processes call the real handler
at once against one moto server. moto serves one request at a time (a non-threaded WSGI server),
because its TransactWriteItems is not atomic across threads while DynamoDB's is."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from tests.integration.conftest import FIXTURE_CONTENT
from tests.integration.test_bundles_api import CREATE
from tests.support.api import ApiClient, Caller
from tests.support.env import use_test_env
from workengine.dal.aws import client
from workengine.domain.enums import Role
from workengine.handlers.api import dependencies as deps
from workengine.settings import get_settings
from workengine_tools.local.backend import provision

WRITERS = 20
MEMBER = Caller("acme", "mia", Role.MEMBER)


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_port}"
    # moto's backends are process-wide: start from an empty account
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10)
    use_test_env(monkeypatch, FIXTURE_CONTENT, endpoint=endpoint)
    deps.reset()
    provision(get_settings())
    try:
        yield endpoint
    finally:
        deps.reset()
        server.shutdown()
        thread.join(timeout=5)


def _writer(
    start: Any, results: Any, method: str, path: str, body: Any, headers: dict[str, str], caller: Caller
) -> None:
    """One "Lambda instance": fresh clients, waits for the others, then makes one call."""
    try:
        deps.reset()
        api = ApiClient(caller)
        start.wait(timeout=60)
        response = api.call(method, path, body=body, headers=headers)
        results.put((response.status, response.error_code, response.body))
    except BaseException as exc:
        results.put((-1, type(exc).__name__, str(exc)))
    finally:
        results.close()
        results.join_thread()  # the queue's feeder thread must flush before the hard exit
        os._exit(0)  # skip pytest's atexit machinery inherited through fork


def run_concurrently(
    method: str,
    path: str,
    body: Any,
    headers: dict[str, str] | None = None,
    callers: list[Caller] | None = None,
) -> list[Any]:
    """The same call from ``WRITERS`` processes at once (or one process per caller in ``callers``)."""
    who = callers or [MEMBER] * WRITERS
    return run_forked(_writer, [(method, path, body, headers or {}, caller) for caller in who], timeout=60)


def run_forked(target: Any, arguments: list[tuple[Any, ...]], timeout: float = 120) -> list[Any]:
    """One forked process per entry of ``arguments``, each calling ``target(start, results, *args)``:
    they wait for each other at ``start`` and put one answer on ``results``; returns the answers."""
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(len(arguments)), context.Queue()
    workers = [context.Process(target=target, args=(start, results, *args)) for args in arguments]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=timeout) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    return answers


def table_items() -> list[dict[str, Any]]:
    return list(client("dynamodb").scan(TableName=get_settings().table_name).get("Items", []))


@pytest.mark.slow
def test_twenty_writers_with_one_expected_version_one_wins(moto_endpoint: str) -> None:
    # Given
    api = ApiClient(MEMBER)
    created = api.post("/bundles", CREATE).body
    draft = next(t for t in created["tasks"] if t["template_task_ref"] == "draft")
    events_before = api.get(f"/bundles/{created['bundle']['bundle_id']}/events").body["items"]

    # When
    answers = run_concurrently(
        "PATCH",
        f"/tasks/{draft['task_id']}",
        {
            "status": "done",
            "proof": {"url": "https://example.com/pr/1"},
            "expected_version": draft["version"],
        },
    )

    # Then
    outcomes = Counter((status, code) for status, code, _ in answers)
    assert outcomes == {(200, None): 1, (409, "VERSION_CONFLICT"): WRITERS - 1}, outcomes
    winner = next(body for status, _, body in answers if status == 200)["task"]
    stored = api.get(f"/tasks/{draft['task_id']}").body["task"]
    assert stored == winner
    assert stored["version"] == draft["version"] + 1 and stored["status"] == "done"
    events = api.get(f"/bundles/{created['bundle']['bundle_id']}/events").body["items"]
    new_for_task = [e for e in events[len(events_before) :] if e["entity_id"] == draft["task_id"]]
    assert len(new_for_task) == 1


@pytest.mark.slow
def test_twenty_idempotent_creates_with_one_key_make_one_bundle(moto_endpoint: str) -> None:
    # When
    answers = run_concurrently("POST", "/bundles", CREATE, {"Idempotency-Key": "same-key-20"})

    # Then
    created = [body for status, _, body in answers if status == 201]
    refused = [code for status, code, _ in answers if status != 201]
    assert created and all(body == created[0] for body in created)
    assert set(refused) <= {"IDEMPOTENCY_CONFLICT"}
    bundles = [item for item in table_items() if item["sk"]["S"] == "B"]
    assert [item["bundle_id"]["S"] for item in bundles] == [created[0]["bundle"]["bundle_id"]]


PARALLEL_SKIPS = 11  # the reproduction: the 11 tasks of a podcast bundle skipped at once


def _skip_task(start: Any, results: Any, task_id: str) -> None:
    """One "Lambda instance" skipping one task."""
    try:
        deps.reset()
        api = ApiClient(MEMBER)
        start.wait(timeout=60)
        response = api.call(
            "PATCH", f"/tasks/{task_id}", body={"status": "skipped", "skip_reason": "not needed"}
        )
        results.put((response.status, response.error_code, response.body))
    except BaseException as exc:
        results.put((-1, type(exc).__name__, str(exc)))
    finally:
        results.close()
        results.join_thread()
        os._exit(0)


@pytest.mark.slow
def test_every_task_skipped_in_parallel_completes_the_bundle(moto_endpoint: str) -> None:
    """The write-skew reproduction: each writer saw the other tasks open. moto serves one request at a
    time here (its conditional writes are not atomic across threads), standing in for DynamoDB's
    atomic transactions; the race is between the writers' reads and their commits."""
    # Given
    api = ApiClient(MEMBER)
    wide = {"template_id": "wide-twenty", "title": "Wide", "anchor_date": CREATE["anchor_date"]}
    created = api.post("/bundles", wide).body
    all_ids = [task["task_id"] for task in created["tasks"]]
    for task_id in all_ids[:-PARALLEL_SKIPS]:
        assert (
            api.patch(f"/tasks/{task_id}", {"status": "skipped", "skip_reason": "not needed"}).status == 200
        )
    task_ids = all_ids[-PARALLEL_SKIPS:]
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(len(task_ids)), context.Queue()

    # When
    workers = [context.Process(target=_skip_task, args=(start, results, task_id)) for task_id in task_ids]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)

    # Then
    assert [status for status, _, _ in answers] == [200] * len(task_ids), [a[:2] for a in answers]
    body = api.get(f"/bundles/{created['bundle']['bundle_id']}").body
    assert {task["status"] for task in body["tasks"]} == {"skipped"}
    assert len(body["tasks"]) == len(all_ids)
    assert body["bundle"]["status"] == "completed"
    assert body["bundle"]["stage"] == "p3"
