"""Recurring workflows: the real newsletter template's monthly schedule, catch-up, failures, the API."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.api import ApiClient, Caller
from tests.support.reminders import ADA, Clock, World, reminder_items
from workengine.catalog.loader import TemplateCatalog, load_catalog_from
from workengine.domain.template import ScheduleTrigger
from workengine.handlers.api import dependencies as deps
from workengine.services.schedule_service import ScheduleRequest
from workengine.settings import get_settings

REPO_CONTENT = Path(__file__).resolve().parents[2] / "content"
ENABLED_AT = datetime(2026, 1, 15, 10, tzinfo=UTC)


@pytest.fixture
def newsletter_world(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("WORKENGINE_CONTENT_PATH", str(REPO_CONTENT))
    deps.reset()
    world = World(Clock(ENABLED_AT), catalog=load_catalog_from(REPO_CONTENT))
    world.schedules().put_schedule(
        ADA, "newsletter-issue", ScheduleRequest(enabled=True, assignees={"owner": "olga", "editor": "ed"})
    )
    return world


def bundles_of(template_id: str) -> list[dict[str, str]]:
    return [
        {
            "bundle_id": b.bundle_id,
            "title": b.title,
            "anchor_date": b.anchor_date.isoformat(),
            "owner": b.owner,
        }
        for b in deps.bundle_repository()
        .list_bundles("acme", status=None, template_id=template_id, limit=100, cursor=None)
        .items
    ]


def test_monthly_newsletter_creates_one_bundle_per_month_however_often_the_sweep_runs(
    newsletter_world: World,
) -> None:
    # When the sweep runs many times a day around the 1st of February, March and April
    for month in (2, 3, 4):
        for day, hour, minute in ((1, 7, 45), (1, 8, 0), (1, 13, 0), (1, 23, 59), (2, 8, 0)):
            newsletter_world.sweep(datetime(2026, month, day, hour, minute, tzinfo=UTC))

    # Then exactly three bundles exist, one per occurrence, titled from the pattern
    bundles = sorted(bundles_of("newsletter-issue"), key=lambda b: b["anchor_date"])
    assert [(b["title"], b["anchor_date"]) for b in bundles] == [
        ("Newsletter February 2026", "2026-02-15"),
        ("Newsletter March 2026", "2026-03-15"),
        ("Newsletter April 2026", "2026-04-15"),
    ]
    assert [b["bundle_id"] for b in bundles] == [
        "b_newsletter-issue_20260201T0800Z",
        "b_newsletter-issue_20260301T0800Z",
        "b_newsletter-issue_20260401T0800Z",
    ]
    assert all(b["owner"] == "olga" for b in bundles)
    recurring = [r for r in reminder_items() if r["kind"] == "recurring"]
    assert sorted(r["reminder_id"] for r in recurring) == sorted(
        f"rem_{b['bundle_id']}_recurring" for b in bundles
    )
    assert {r["recipient"] for r in recurring} == {"olga"}
    [schedule] = newsletter_world.schedule_repository.list_schedules("acme")
    assert schedule.next_occurrence == datetime(2026, 5, 1, 8, tzinfo=UTC)


def test_missed_occurrences_are_caught_up_only_up_to_the_bound(newsletter_world: World) -> None:
    # When the first sweep after enabling runs in May (February to May were missed)
    report = newsletter_world.sweep(datetime(2026, 5, 2, tzinfo=UTC))

    # Then catch_up_limit 1: April (one missed) and May (the current one); Feb and March are skipped
    assert report.bundles_created == [
        "b_newsletter-issue_20260401T0800Z",
        "b_newsletter-issue_20260501T0800Z",
    ]
    [schedule] = newsletter_world.schedule_repository.list_schedules("acme")
    assert schedule.skipped_occurrences == 2


def test_a_failing_instantiation_creates_an_automation_failure_reminder(aws_env: None) -> None:
    # Given a template whose title pattern names a variable the context lacks
    base = load_catalog_from(REPO_CONTENT).get("newsletter-issue")
    assert base is not None
    broken = base.model_copy(
        update={
            "triggers": [
                ScheduleTrigger(cron="0 8 1 * *", title_pattern="Issue {{ template.nope }}", catch_up_limit=0)
            ]
        }
    )
    world = World(Clock(ENABLED_AT), catalog=TemplateCatalog(templates={"newsletter-issue": broken}))
    world.schedules().put_schedule(ADA, "newsletter-issue", ScheduleRequest(enabled=True))

    # When (twice: the failure is reported once)
    report = world.sweep(datetime(2026, 2, 1, 9, tzinfo=UTC))
    world.sweep(datetime(2026, 2, 1, 10, tzinfo=UTC))

    # Then
    assert report.bundles_created == [] and report.schedule_failures == ["b_newsletter-issue_20260201T0800Z"]
    [failure] = reminder_items()
    assert failure["kind"] == "automation_failure" and failure["recipient"] == "ada"
    assert failure["reminder_id"] == "rem_b_newsletter-issue_20260201T0800Z_automation_failure"
    assert "template.nope" in failure["details"]["error"]
    assert bundles_of("newsletter-issue") == []


def test_schedules_api_is_admin_only_and_lists_per_tenant(
    aws_env: None, monkeypatch: pytest.MonkeyPatch, admin: Caller, member: Caller, outsider: Caller
) -> None:
    # Given the repository's content (the newsletter template has a schedule trigger)
    monkeypatch.setenv("WORKENGINE_CONTENT_PATH", str(REPO_CONTENT))
    deps.reset()
    assert get_settings().content_path == REPO_CONTENT
    api = ApiClient(admin)
    body = {"enabled": True, "assignees": {"owner": "olga"}, "tags": ["monthly"]}

    # When / Then
    assert api.call("PUT", "/schedules/newsletter-issue", body=body, caller=member).error_code == "FORBIDDEN"
    created = api.call("PUT", "/schedules/newsletter-issue", body=body)
    assert created.status == 200, created.body
    schedule = created.body["schedule"]
    assert schedule["enabled"] is True and schedule["cron"] == "0 8 1 * *"
    assert schedule["next_occurrence"].endswith("T08:00:00Z") and "gsi_due_pk" not in schedule
    no_trigger = api.call("PUT", "/schedules/customer-renewal", body=body)
    assert (no_trigger.status, no_trigger.error_code) == (422, "VALIDATION_ERROR")
    assert api.call("PUT", "/schedules/nope", body=body).error_code == "TEMPLATE_NOT_FOUND"
    listed = api.get("/schedules", caller=member)
    assert [s["template_id"] for s in listed.body["items"]] == ["newsletter-issue"]
    assert api.get("/schedules", caller=outsider).body == {"items": []}
    disabled = api.call("PUT", "/schedules/newsletter-issue", body={"enabled": False})
    assert (
        disabled.body["schedule"]["enabled"] is False and disabled.body["schedule"]["next_occurrence"] is None
    )
