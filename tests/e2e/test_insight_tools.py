"""Insight from outside: GET /attention over real HTTP against `workengine serve` with a bundle of each of
the six templates, and `workengine templates simulate|validate` as subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_local_server import E2E_SECRET, Http, local_stack, server
from workengine.catalog.loader import REPO_CONTENT_DIR, load_catalog
from workengine_tools.local.tokens import issue_token

__all__ = ["local_stack", "server"]
REPO = Path(__file__).resolve().parents[2]
CATALOG = load_catalog(REPO_CONTENT_DIR)
TEMPLATE_IDS = sorted(t.template_id for t in CATALOG.list())
BROKEN_CONTENT = REPO / "tests" / "fixtures" / "simulation_content"
TENANT = "insight"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workengine_tools.cli.main", *args],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def person(base: str, user: str, role: str = "member") -> Http:
    return Http(base, issue_token(E2E_SECRET, tenant_id=TENANT, user_id=user, role=role))


def test_attention_ranks_work_from_all_six_templates_over_http(server: str) -> None:
    olga = person(server, "olga")
    # Given one bundle per template, started 30 days ago for an anchor 30 days ahead: early work is
    # overdue, and olga plays every role
    anchor = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    bundles = {}
    for template in CATALOG.list():
        example = template.examples[0]
        status, created = olga.call(
            "POST",
            "/bundles",
            {
                "template_id": template.template_id,
                "title": f"{template.title} for olga",
                "anchor_date": anchor,
                "inputs": example.inputs,
                "tags": example.tags,
                "assignees": {role: "olga" for role in template.roles()},
            },
        )
        assert status == 201, created
        bundles[created["bundle"]["bundle_id"]] = template.template_id

    status, body = olga.call("GET", "/attention?limit=500")

    assert status == 200, body
    items = body["items"]
    assert {bundles[i["bundle_id"]] for i in items} == set(TEMPLATE_IDS)
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    top = items[0]
    assert top["score"] > 0 and top["reasons"] and top["reasons"][0].startswith("overdue by")
    assert all(i["score"] == sum(i["factors"].values()) for i in items)
    assert all(len(i["reasons"]) == len(i["factors"]) for i in items)

    refused, error = olga.call("GET", "/attention?scope=tenant")
    admin_status, tenant = person(server, "ada", "admin").call("GET", "/attention?scope=tenant&limit=500")
    assert refused == 403 and error["error"]["code"] == "FORBIDDEN"
    assert admin_status == 200 and {i["task_id"] for i in tenant["items"]} >= {i["task_id"] for i in items}


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_simulate_prints_the_run_of_each_template(template_id: str) -> None:
    example = CATALOG.require(template_id).examples[0]
    args = ["templates", "simulate", template_id, "--anchor", "2030-06-30", "--json"]
    args += ["--inputs", json.dumps(example.inputs), "--tags", ",".join(example.tags)]

    result = _cli(*args)

    assert result.returncode == 0, result.stderr
    run: dict[str, Any] = json.loads(result.stdout)
    assert run["template_id"] == template_id and run["problems"] == []
    assert run["finished_on"] is not None and run["critical_path"] and run["critical_path_days"] > 0
    assert all(t["due_date"] for t in run["tasks"] if t["active"])
    due = [r for r in run["reminders"] if r["kind"] == "due"]
    by_key = {t["key"]: t for t in run["tasks"]}
    for reminder in due:  # each fires remind_before_days before its task's due date
        task = by_key[reminder["task_key"]]
        fires = datetime.fromisoformat(reminder["fire_at"]).date()
        assert (datetime.fromisoformat(task["due_date"]).date() - fires).days == task["remind_before_days"]


def test_simulate_text_shows_conditions_gates_and_problems() -> None:
    renewal = _cli(
        "templates", "simulate", "customer-renewal", "--anchor", "2030-06-30", "--tags", "emergency"
    )
    broken = _cli(
        "templates", "simulate", "due-before-dependency", "--anchor", "2030-06-30",
        "--content", str(BROKEN_CONTENT),
    )  # fmt: skip
    bad_input = _cli("templates", "simulate", "podcast-episode", "--anchor", "2030-06-30")

    assert renewal.returncode == 0, renewal.stderr
    assert "when: pending (2030-03-01) -> met (2030-03-17)" in renewal.stdout
    assert "Critical path (10 tasks, 121 day(s) from creation): health_check ->" in renewal.stdout
    assert broken.returncode == 1
    assert "due_before_dependency: 'test' is due 2030-06-25, before 'build'" in broken.stdout
    assert bad_input.returncode == 1 and "inputs.guest_name" in bad_input.stderr
    assert "Traceback" not in bad_input.stderr


def test_validate_simulates_every_example_and_fails_on_broken_templates() -> None:
    shipped = _cli("templates", "validate")
    broken = _cli("templates", "validate", str(BROKEN_CONTENT))

    assert shipped.returncode == 0, shipped.stderr
    assert shipped.stdout.strip() == "OK: 6 templates valid, 9 example runs simulated without problems"
    assert broken.returncode == 1
    for expected in (
        "never-active.yaml: tasks[1]: 'big_review' never becomes active",
        "never-active.yaml: tasks[2]: 'night_shift' never becomes active",
        "due-before-dependency.yaml: examples[0]: 'test' is due",
        "reminder-before-bundle.yaml: examples[0]: the due reminder of 'kickoff' would fire",
        "never-finishes.yaml: examples[0]: 'sign_off' is still open at the end",
    ):
        assert expected in broken.stderr
    assert "5 problem(s) found" in broken.stderr
