"""Showcases through ``POST /showcases/{name}`` on a moto *server* (the evidence goes up through presigned
URLs over HTTP): seeded once, with the history each story promises, exportable, and never twice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.integration.test_artifacts_s3 import _free_port
from tests.support.api import ApiClient, Caller
from tests.support.env import use_test_env
from workengine.composition import container
from workengine.dal.aws import client
from workengine.dal.export_storage import DynamoTenantItems
from workengine.domain.enums import Role
from workengine.domain.showcase import MarkerStatus, ShowcaseMarker
from workengine.handlers.api import dependencies as deps
from workengine.services.export_service import DirectorySink, TenantExporter
from workengine.services.export_validation import validate_export
from workengine.settings import get_settings
from workengine_tools.local.backend import provision

CONTENT = Path(__file__).resolve().parents[2] / "content"
TENANT = "acme"
ADMIN = Caller(TENANT, "ada", Role.ADMIN)


@dataclass
class Seeded:
    api: ApiClient
    first: dict[str, Any]
    second: dict[str, Any]
    bundles_after_first: int

    def bundle(self, showcase: str, title_part: str) -> dict[str, Any]:
        for bundle_id in self.first["showcases"][showcase]["bundle_ids"]:
            body: dict[str, Any] = self.api.get(f"/bundles/{bundle_id}").body
            if title_part in body["bundle"]["title"]:
                return body
        raise AssertionError(f"no {showcase} bundle titled like {title_part!r}")

    def events(self, bundle_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            query = {"limit": "100", **({"next_token": token} if token else {})}
            page = self.api.call("GET", f"/bundles/{bundle_id}/events", query=query).body
            items += page["items"]
            token = page["next_token"]
            if not token:
                return items

    def reminders(self, bundle_id: str) -> list[dict[str, Any]]:
        body = self.api.call("GET", "/reminders", query={"bundle_id": bundle_id, "limit": "100"}).body
        items: list[dict[str, Any]] = body["items"]
        return items


def _tasks(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {task["template_task_ref"]: task for task in body["tasks"]}


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            use_test_env(monkeypatch, CONTENT, endpoint=f"http://127.0.0.1:{port}")
            deps.reset()
            provision(get_settings())
            api = ApiClient(ADMIN)
            first = api.post("/showcases/all", None)
            assert first.status == 200, first.body
            count = len(api.call("GET", "/bundles", query={"limit": "100"}).body["items"])
            second = api.post("/showcases/all", None)
            assert second.status == 200, second.body
            yield Seeded(api, first.body, second.body, count)
            deps.reset()
    finally:
        server.stop()


def test_all_seeds_three_showcases_once_and_a_second_run_creates_nothing(seeded: Seeded) -> None:
    # Given the first run's summary
    first = seeded.first
    assert first["success"] is True and first["metrics"]["execution_ms"] > 0
    assert set(first["showcases"]) == {"ev-charging", "global-hcm", "renewal-journey"}
    for name, entry in first["showcases"].items():
        assert entry["status"] == "seeded", name
        assert entry["bundles"] == len(entry["bundle_ids"]) > 0
        assert entry["completed_tasks"] > 0 and entry["artifacts"] > 0 and entry["assistant_jobs"] > 0
        assert entry["reminders"] > 0 and entry["comments"] > 0
    assert first["showcases"]["ev-charging"]["bundles"] == 3
    assert first["showcases"]["global-hcm"]["bundles"] == 3
    assert seeded.bundles_after_first == 7

    # Then the second run answers already_seeded, counts nothing and the tenant holds the same bundles
    for name, entry in seeded.second["showcases"].items():
        assert entry["status"] == "already_seeded", name
        assert entry["bundle_ids"] == first["showcases"][name]["bundle_ids"]
        assert all(entry[key] == 0 for key in ("bundles", "tasks", "artifacts", "reminders", "comments"))
    assert len(seeded.api.call("GET", "/bundles", query={"limit": "100"}).body["items"]) == 7


def test_ev_charging_sites_carry_a_rejected_permit_an_installation_and_operations(seeded: Seeded) -> None:
    # Depot North: the authority rejected the permit, which reopened the application; re-submitted since
    depot = seeded.bundle("ev-charging", "Depot North")
    tasks = _tasks(depot)
    assert depot["bundle"]["stage"] == "permitting"
    (rejection,) = tasks["permit_approved"]["approvals"]
    assert rejection["decision"] == "reject" and rejection["approver"] == "city.permits"
    assert tasks["permit_application"]["status"] == "done"
    assert "EV-4471-R1" in tasks["permit_application"]["proof"]["url"]
    actions = [e["action"] for e in seeded.events(depot["bundle"]["bundle_id"])]
    assert "reopened" in actions and actions.count("created") >= 1
    kinds = {r["kind"] for r in seeded.reminders(depot["bundle"]["bundle_id"])}
    assert {"rework", "approval_requested"} <= kinds

    # Harbour Park: installing, the photo uploaded; Riverside Mall: in operations, report drafted
    harbour_bundle = seeded.bundle("ev-charging", "Harbour Park")
    harbour = _tasks(harbour_bundle)
    assert "overdue" in {r["kind"] for r in seeded.reminders(harbour_bundle["bundle"]["bundle_id"])}
    assert harbour["install_chargers"]["status"] == "in_progress"
    assert harbour["permit_approved"]["status"] == "done"
    assert harbour["permit_approved"]["approvals"][0]["decision"] == "approve"
    (permit_id,) = harbour["permit_approved"]["proof"]["artifact_ids"]
    artifact = seeded.api.get(f"/artifacts/{permit_id}").body
    assert (
        artifact["artifact"]["status"] == "uploaded"
        and artifact["artifact"]["content_type"] == "application/pdf"
    )
    pdf = requests.get(artifact["download_url"], timeout=10).content
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    riverside = seeded.bundle("ev-charging", "Riverside Mall")
    assert riverside["bundle"]["stage"] == "operations"
    assert _tasks(riverside)["first_month_report"]["proof"]["comment"]  # the assistant's summary


def test_global_hcm_regions_differ_in_approvals_overdue_work_and_escalations(seeded: Seeded) -> None:
    amer = seeded.bundle("global-hcm", "AMER")
    calibration = _tasks(amer)["calibration_sessions"]
    assert calibration["status"] != "done" and calibration["approvals"] == []
    assert calibration["fields"] == {"sessions_held": 4, "distribution_within_guideline": True}
    assert any(
        r["kind"] == "approval_requested" and r["recipient"] == "grace.okafor"
        for r in seeded.reminders(amer["bundle"]["bundle_id"])
    )

    emea = seeded.bundle("global-hcm", "EMEA")
    assessments = _tasks(emea)["manager_assessments"]
    assert assessments["status"] == "in_progress"
    assert [e["by"] for e in assessments["escalations"]] == ["sophie.martin", "system"]
    kinds = [r["kind"] for r in seeded.reminders(emea["bundle"]["bundle_id"])]
    assert "overdue" in kinds and kinds.count("escalation") >= 2

    apac = _tasks(seeded.bundle("global-hcm", "APAC"))
    assert apac["peer_feedback"]["snoozed_until"] is not None
    # each region runs on its own dates; business-day tasks fall on weekdays
    schedules = {}
    for region in ("AMER", "EMEA", "APAC"):
        tasks = _tasks(seeded.bundle("global-hcm", region))
        schedules[region] = tuple(task["due_date"] for task in tasks.values())
        for key in ("configure_cycle", "completion_check", "calibration_sessions"):
            assert date.fromisoformat(tasks[key]["due_date"]).weekday() < 5, (region, key)
    assert len(set(schedules.values())) == 3


def test_the_renewal_journey_switched_its_emergency_path_on_from_an_output_and_completed(
    seeded: Seeded,
) -> None:
    (bundle_id,) = seeded.first["showcases"]["renewal-journey"]["bundle_ids"]
    renewal = seeded.api.get(f"/bundles/{bundle_id}").body
    tasks = _tasks(renewal)
    assert renewal["bundle"]["status"] == "completed"
    assert all(task["status"] == "done" for task in tasks.values())
    assert tasks["usage_review"]["fields"]["risk_level"] == "medium"  # the CSM said medium...
    assert tasks["escalate_risk"]["condition"] == "met"  # ...the re-run assessment said high
    assert tasks["pricing_approval"]["escalations"][0]["to"] == "hannah.cro"

    events = seeded.events(bundle_id)
    flips = [e for e in events if e["action"] == "condition_evaluated" and e["actor"] == "system"]
    assert {e["entity_id"] for e in flips} >= {
        tasks["escalate_risk"]["task_id"],
        tasks["rescue_plan"]["task_id"],
    }
    stamps = [e["at"] for e in events]
    assert stamps == sorted(stamps)  # the controlled clock only moved forward
    assert renewal["bundle"]["created_at"][:10] < tasks["next_term_plan"]["completed_at"][:10]
    kinds = {r["kind"] for r in seeded.reminders(bundle_id)}
    assert {"snooze_ended", "escalation"} <= kinds


def test_every_showcase_bundle_passes_the_export_validator(seeded: Seeded, tmp_path: Path) -> None:
    settings = get_settings()
    exporter = TenantExporter(DynamoTenantItems(client("dynamodb"), settings.table_name))
    exporter.export(TENANT, "x_showcases", DirectorySink(tmp_path))

    report = validate_export(tmp_path)

    assert report.ok, [str(problem) for problem in report.problems]
    assert report.counts["bundle"] == 7 and report.counts["artifact"] >= 20


def test_only_admins_seed_and_unknown_names_are_not_found(seeded: Seeded) -> None:
    member = Caller(TENANT, "mia", Role.MEMBER)
    assert seeded.api.call("POST", "/showcases/all", caller=member).status == 403
    unknown = seeded.api.post("/showcases/everything", None)
    assert unknown.status == 404 and unknown.error_code == "NOT_FOUND"


def test_a_run_that_did_not_finish_is_reported_and_never_repeated(seeded: Seeded) -> None:
    # Given another tenant whose renewal-journey marker was claimed by a run that crashed
    from datetime import UTC, datetime

    container().showcase_markers.claim(
        ShowcaseMarker(
            tenant_id="crashed",
            name="renewal-journey",
            status=MarkerStatus.SEEDING,
            started_at=datetime(2026, 1, 1, tzinfo=UTC),
            seeded_by="ada",
        )
    )

    # When it is seeded again
    answer = seeded.api.post("/showcases/renewal-journey", None, caller=Caller("crashed", "ada", Role.ADMIN))

    # Then nothing is created and the summary says the earlier run did not finish
    assert answer.status == 200
    assert answer.body["success"] is False and "did not finish" in answer.body["message"]
    assert answer.body["showcases"]["renewal-journey"]["status"] == "already_seeded"
