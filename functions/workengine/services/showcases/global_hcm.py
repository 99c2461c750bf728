"""``global-hcm``: one performance-review cycle (``hr-performance-review``) run in three regions with
their own HR teams and closing dates, so their business-day schedules differ.

- AMER: reviews assessed on time; the assistant summarised completion and drafted the calibration
  agenda; the calibration sessions are recorded and wait for the HR director's approval.
- EMEA: late; the manager assessments are overdue, escalated by the HR partner and then by the sweep
  (the template escalates a task three days overdue to the HR director), with overdue reminders.
- APAC: just started; kickoff done, self-reviews open, peer feedback snoozed over a public holiday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from workengine.domain.enums import TaskStatus
from workengine.domain.identity import Identity
from workengine.domain.instantiation import NewBundleRequest
from workengine.domain.showcase import GLOBAL_HCM
from workengine.services.showcases.documents import PDF, pdf_document
from workengine.services.showcases.stage import BundleOnStage, Stage, at

NAME = GLOBAL_HCM
SCRIPT: dict[str, list[object]] = {}


@dataclass(frozen=True)
class RegionTeam:
    region: str
    partner: Identity  # hr-partner (owner)
    ops: Identity  # hr-ops
    managers: Identity  # people-managers (the region's manager group lead)
    director: Identity  # hr-director (calibration approver, escalation target)


def _team(stage: Stage, region: str, partner: str, ops: str, managers: str, director: str) -> RegionTeam:
    return RegionTeam(
        region, stage.person(partner), stage.person(ops), stage.person(managers), stage.person(director)
    )


def _cycle(stage: Stage, team: RegionTeam, anchor: date) -> BundleOnStage:
    return stage.create(
        team.partner,
        NewBundleRequest(
            template_id="hr-performance-review",
            title=f"Performance review H2 {anchor.year} - {team.region}",
            anchor_date=anchor,
            references={"cycle-timeline": f"https://wiki.example.com/people/review-{team.region.lower()}"},
            tags=["people", team.region.lower(), "showcase"],
            assignees={
                "hr-partner": team.partner.user_id,
                "hr-ops": team.ops.user_id,
                "people-managers": team.managers.user_id,
                "hr-director": team.director.user_id,
            },
        ),
    )


def _kickoff(stage: Stage, team: RegionTeam, cycle: BundleOnStage, anchor: date) -> None:
    stage.at(at(anchor - timedelta(days=44)))
    stage.complete(
        team.partner,
        cycle,
        "publish_timeline",
        proof={"url": f"https://wiki.example.com/people/review-{team.region.lower()}/timeline"},
    )
    stage.at(at(anchor - timedelta(days=42)))
    stage.complete(team.ops, cycle, "configure_cycle", proof={"external_status": "cycle configured"})
    stage.at(at(anchor - timedelta(days=36), 15))
    slides = stage.upload(
        team.partner,
        cycle,
        "manager_briefing",
        f"manager-briefing-{team.region.lower()}.pdf",
        PDF,
        pdf_document(
            f"Manager briefing - {team.region}",
            ["Rating scale and evidence", "Calibration timeline", "Data privacy: what not to write down"],
        ),
    )
    stage.complete(team.partner, cycle, "manager_briefing", proof={"artifact_ids": [slides]})


def _self_reviews(stage: Stage, team: RegionTeam, cycle: BundleOnStage, anchor: date) -> None:
    stage.at(at(anchor - timedelta(days=31)))
    stage.complete(team.ops, cycle, "open_self_reviews", proof={"external_status": "open"})
    stage.at(at(anchor - timedelta(days=28)))
    stage.complete(team.ops, cycle, "peer_feedback", proof={"external_status": "requested"})


def _opened_and_reviewing(stage: Stage, team: RegionTeam, anchor: date) -> BundleOnStage:
    """The cycle created 45 days out, kicked off, self-reviews and peer feedback requested."""
    stage.clock.start(at(anchor - timedelta(days=46)))
    stage.at(at(anchor - timedelta(days=45)))
    cycle = _cycle(stage, team, anchor)
    _kickoff(stage, team, cycle, anchor)
    _self_reviews(stage, team, cycle, anchor)
    return cycle


def amer(stage: Stage, today: date) -> None:
    team = _team(stage, "AMER", "maria.lopez", "jake.miller", "amer.managers", "grace.okafor")
    anchor = today + timedelta(days=4)
    cycle = _opened_and_reviewing(stage, team, anchor)
    stage.sweep(at(anchor - timedelta(days=22), 6))
    stage.at(at(anchor - timedelta(days=21)))
    stage.assist(team.ops, cycle, "completion_check")
    stage.complete(team.ops, cycle, "completion_check")  # the assistant's summary is the proof comment
    stage.at(at(anchor - timedelta(days=11)))
    stage.complete(team.managers, cycle, "manager_assessments", proof={"external_status": "all submitted"})
    stage.at(at(anchor - timedelta(days=6)))
    stage.assist(team.partner, cycle, "calibration_prep")
    stage.complete(
        team.partner,
        cycle,
        "calibration_prep",
        proof={"url": "https://drive.example.com/amer/calibration-packs"},
    )
    stage.at(at(anchor - timedelta(days=5), 16))
    notes = stage.upload(
        team.partner,
        cycle,
        "calibration_sessions",
        "calibration-outcome-amer.pdf",
        PDF,
        pdf_document(
            "Calibration outcome - AMER", ["4 sessions, 38 managers", "Distribution within guideline"]
        ),
    )
    stage.update(
        team.partner,
        cycle,
        "calibration_sessions",
        proof={"artifact_ids": [notes], "comment": "Four sessions held; two ratings moved after discussion."},
        fields={"sessions_held": 4, "distribution_within_guideline": True},
    )
    stage.comment(team.director, cycle, "calibration_sessions", "Reviewing the outcome before I approve.")
    stage.sweep(stage.clock.limit - timedelta(hours=1))


def emea(stage: Stage, today: date) -> None:
    team = _team(stage, "EMEA", "sophie.martin", "lukas.berg", "emea.managers", "henrik.dahl")
    anchor = today + timedelta(days=3)
    cycle = _opened_and_reviewing(stage, team, anchor)
    stage.sweep(at(anchor - timedelta(days=20), 6))
    stage.at(at(anchor - timedelta(days=17)))
    stage.assist(team.ops, cycle, "completion_check")
    stage.comment(
        team.ops,
        cycle,
        "completion_check",
        "Germany and France below 70 %: works councils asked for more time.",
    )
    stage.at(at(anchor - timedelta(days=15)))
    stage.complete(team.ops, cycle, "completion_check")
    stage.at(at(anchor - timedelta(days=12)))
    stage.update(team.managers, cycle, "manager_assessments", status=TaskStatus.IN_PROGRESS)
    stage.sweep(at(anchor - timedelta(days=8), 6))
    stage.at(at(anchor - timedelta(days=6), 10))
    stage.escalate(
        team.partner,
        cycle,
        "manager_assessments",
        "hr-director",
        "31 of 54 assessments missing; calibration is at risk",
    )
    stage.comment(team.managers, cycle, "manager_assessments", "Chasing the Paris and Munich teams daily.")
    # the sweep: overdue reminders, and the template's escalation once three days overdue
    stage.sweep(stage.clock.limit - timedelta(hours=1))


def apac(stage: Stage, today: date) -> None:
    team = _team(stage, "APAC", "mei.tanaka", "arjun.rao", "apac.managers", "grace.okafor")
    anchor = today + timedelta(days=31)
    stage.clock.start(at(anchor - timedelta(days=46)))
    stage.at(at(anchor - timedelta(days=45)))
    cycle = _cycle(stage, team, anchor)
    _kickoff(stage, team, cycle, anchor)
    stage.at(at(anchor - timedelta(days=31)))
    stage.update(team.ops, cycle, "open_self_reviews", status=TaskStatus.IN_PROGRESS)
    stage.snooze(
        team.ops,
        cycle,
        "peer_feedback",
        at(anchor - timedelta(days=26)),
        "Public holiday week in Japan and China; requests go out after it",
    )
    stage.sweep(stage.clock.limit - timedelta(hours=1))


def play(stage: Stage) -> None:
    today = stage.clock.limit.date()
    amer(stage, today)
    emea(stage, today)
    apac(stage, today)
