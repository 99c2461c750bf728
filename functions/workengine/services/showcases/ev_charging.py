"""``ev-charging``: three sites of an EV charging roll-out (``ev-charging-rollout``) at different stages.

- Depot North, in permitting: the authority rejected the first permit application (no fire-safety plan),
  which reopened the application; it was re-submitted and waits for the authority's decision again.
- Harbour Park, installing: permit approved with the permit PDF as proof, hardware ordered, the
  isolation done, chargers being mounted (site photo uploaded), the installer's note in the comments.
- Riverside Mall, in operations: launched three weeks ago, maintenance planned, the assistant drafted the
  first-month report from the site-selection output.
Evidence (survey, agreements, permit, purchase order, inspection) is generated PDFs and PNG photos,
uploaded through the artifact flow; the sweep ran along the way, so due and overdue reminders exist.
"""

from __future__ import annotations

from datetime import date, timedelta

from workengine.domain.enums import ApprovalDecision, TaskStatus
from workengine.domain.instantiation import NewBundleRequest
from workengine.domain.showcase import EV_CHARGING
from workengine.services.showcases.documents import PDF, PNG, pdf_document, png_image
from workengine.services.showcases.stage import BundleOnStage, Stage, at

NAME = EV_CHARGING
SCRIPT: dict[str, list[object]] = {}


class Crew:
    def __init__(self, stage: Stage) -> None:
        self.pm = stage.person("priya.shah")  # project manager
        self.engineer = stage.person("tom.becker")  # site engineer
        self.electrical = stage.person("ana.costa")  # electrical engineer
        self.permitting = stage.person("li.wei")
        self.authority = stage.person("city.permits")  # the municipal permit officer (approver)
        self.procurement = stage.person("mo.haddad")
        self.installer = stage.person("jon.rivera")
        self.operations = stage.person("kim.ito")

    def assignees(self) -> dict[str, str]:
        return {
            "project-manager": self.pm.user_id,
            "site-engineer": self.engineer.user_id,
            "electrical-engineer": self.electrical.user_id,
            "permitting": self.permitting.user_id,
            "permit-authority": self.authority.user_id,
            "procurement": self.procurement.user_id,
            "installer": self.installer.user_id,
            "operations": self.operations.user_id,
        }


def _site(stage: Stage, crew: Crew, name: str, anchor: date) -> BundleOnStage:
    slug = name.lower().replace(" ", "-")
    return stage.create(
        crew.pm,
        NewBundleRequest(
            template_id="ev-charging-rollout",
            title=f"{name} charging hub",
            anchor_date=anchor,
            references={"site-file": f"https://files.example.com/ev/{slug}"},
            tags=["ev-charging", "showcase"],
            assignees=crew.assignees(),
        ),
    )


def _pdf(title: str, *lines: str) -> bytes:
    return pdf_document(title, list(lines))


def _select_and_survey(stage: Stage, crew: Crew, site: BundleOnStage, anchor: date, name: str) -> None:
    """Site selection: the assistant's ranking, the survey report, the grid capacity check."""
    stage.at(at(anchor - timedelta(days=184)))
    stage.assist(crew.pm, site, "shortlist_sites")
    stage.complete(crew.pm, site, "shortlist_sites")  # the recommendation filled the proof comment
    stage.at(at(anchor - timedelta(days=168), 14))
    survey = stage.upload(
        crew.engineer,
        site,
        "site_survey",
        "site-survey.pdf",
        PDF,
        _pdf(f"Site survey - {name}", "12 bays surveyed; ducting route along the east wall.", "No asbestos."),
    )
    photo = stage.upload(
        crew.engineer,
        site,
        "site_survey",
        "bays-east-wall.png",
        PNG,
        png_image(80, 40, [(90, 90, 90), (0, 120, 200)]),
    )
    stage.complete(crew.engineer, site, "site_survey", proof={"artifact_ids": [survey, photo]})
    stage.at(at(anchor - timedelta(days=151)))
    stage.complete(
        crew.electrical,
        site,
        "grid_capacity",
        proof={"external_status": "capacity confirmed: 400 kVA"},
        comment="DNO confirms 400 kVA without a substation upgrade.",
    )


def _agree_and_apply(stage: Stage, crew: Crew, site: BundleOnStage, anchor: date, name: str) -> None:
    stage.at(at(anchor - timedelta(days=142)))
    lease = stage.upload(
        crew.pm,
        site,
        "landlord_agreement",
        "landlord-agreement-signed.pdf",
        PDF,
        _pdf(
            f"Landlord agreement - {name}",
            "Licence for 12 charging bays, 10 years.",
            "Signed by both parties.",
        ),
    )
    stage.complete(crew.pm, site, "landlord_agreement", proof={"artifact_ids": [lease]})
    stage.at(at(anchor - timedelta(days=139)))
    stage.complete(
        crew.permitting,
        site,
        "permit_application",
        proof={"url": "https://permits.example.gov/applications/EV-4471", "external_status": "submitted"},
    )


def _order_hardware(stage: Stage, crew: Crew, site: BundleOnStage, anchor: date) -> None:
    stage.at(at(anchor - timedelta(days=120)))
    order = stage.upload(
        crew.procurement,
        site,
        "order_hardware",
        "purchase-order-PO-88120.pdf",
        PDF,
        _pdf(
            "Purchase order PO-88120",
            "6 x dual 22 kW AC chargers",
            "2 x 150 kW DC chargers",
            "Delivery: 8 weeks",
        ),
    )
    stage.complete(crew.procurement, site, "order_hardware", proof={"artifact_ids": [order]})


def _permit_granted(stage: Stage, crew: Crew, site: BundleOnStage, anchor: date, name: str) -> None:
    stage.at(at(anchor - timedelta(days=80)))
    permit = stage.upload(
        crew.permitting,
        site,
        "permit_approved",
        "building-permit.pdf",
        PDF,
        _pdf(f"Building permit EV-4471 - {name}", "Granted with conditions 1-4.", "Valid for 24 months."),
    )
    stage.update(
        crew.permitting,
        site,
        "permit_approved",
        proof={"artifact_ids": [permit], "external_status": "granted"},
    )
    stage.at(at(anchor - timedelta(days=78), 11))
    stage.decide(crew.authority, site, "permit_approved", ApprovalDecision.APPROVE, "Conditions 1-4 apply.")


def depot_north(stage: Stage, crew: Crew, today: date) -> None:
    """In permitting: rejected once, re-submitted, waiting for the authority again."""
    anchor = today + timedelta(days=120)
    stage.clock.start(at(anchor - timedelta(days=186)))
    stage.at(at(anchor - timedelta(days=185)))
    site = _site(stage, crew, "Depot North", anchor)
    _select_and_survey(stage, crew, site, anchor, "Depot North")
    stage.sweep(at(anchor - timedelta(days=150), 6))
    _agree_and_apply(stage, crew, site, anchor, "Depot North")
    stage.at(at(anchor - timedelta(days=137)))
    stage.update(crew.permitting, site, "permit_approved", proof={"external_status": "under review"})
    stage.at(at(anchor - timedelta(days=132), 15))
    stage.decide(
        crew.authority,
        site,
        "permit_approved",
        ApprovalDecision.REJECT,
        "No fire-safety plan for the DC chargers; re-submit with the plan and the fire brigade's sign-off.",
    )
    stage.at(at(anchor - timedelta(days=128)))
    stage.comment(
        crew.permitting,
        site,
        "permit_application",
        "Fire-safety plan drafted with Ana; brigade visit booked.",
    )
    stage.sweep(at(anchor - timedelta(days=126), 6))
    stage.at(at(anchor - timedelta(days=124)))
    stage.complete(
        crew.permitting,
        site,
        "permit_application",
        proof={
            "url": "https://permits.example.gov/applications/EV-4471-R1",
            "external_status": "re-submitted",
        },
        comment="Re-submitted with the fire-safety plan (rev B) and the brigade's sign-off.",
    )
    stage.update(crew.procurement, site, "order_hardware", status=TaskStatus.IN_PROGRESS)
    stage.sweep(stage.clock.limit - timedelta(hours=1))


def harbour_park(stage: Stage, crew: Crew, today: date) -> None:
    """Installing: chargers being mounted, the electrical inspection next."""
    anchor = today + timedelta(days=24)
    stage.clock.start(at(anchor - timedelta(days=186)))
    stage.at(at(anchor - timedelta(days=185)))
    site = _site(stage, crew, "Harbour Park", anchor)
    _select_and_survey(stage, crew, site, anchor, "Harbour Park")
    _agree_and_apply(stage, crew, site, anchor, "Harbour Park")
    _order_hardware(stage, crew, site, anchor)
    stage.sweep(at(anchor - timedelta(days=90), 6))
    _permit_granted(stage, crew, site, anchor, "Harbour Park")
    stage.at(at(anchor - timedelta(days=33)))
    stage.complete(
        crew.electrical,
        site,
        "safety_isolation",
        proof={"comment": "Supply isolated and locked off (LOTO tag 17); permit-to-work PTW-2210 issued."},
    )
    stage.at(at(anchor - timedelta(days=31), 13))
    stage.update(crew.installer, site, "install_chargers", status=TaskStatus.IN_PROGRESS)
    stage.upload(
        crew.installer,
        site,
        "install_chargers",
        "bays-1-6-mounted.png",
        PNG,
        png_image(96, 48, [(20, 20, 20), (0, 150, 70), (230, 230, 230)]),
    )
    stage.comment(crew.installer, site, "install_chargers", "Bays 1-6 mounted; DC units arrive Thursday.")
    stage.sweep(stage.clock.limit - timedelta(hours=1))


def riverside_mall(stage: Stage, crew: Crew, today: date) -> None:
    """In operations: launched, maintenance planned, the first-month report drafted by the assistant."""
    anchor = today - timedelta(days=21)
    stage.clock.start(at(anchor - timedelta(days=186)))
    stage.at(at(anchor - timedelta(days=185)))
    site = _site(stage, crew, "Riverside Mall", anchor)
    _select_and_survey(stage, crew, site, anchor, "Riverside Mall")
    _agree_and_apply(stage, crew, site, anchor, "Riverside Mall")
    _order_hardware(stage, crew, site, anchor)
    _permit_granted(stage, crew, site, anchor, "Riverside Mall")
    stage.at(at(anchor - timedelta(days=36)))
    stage.complete(
        crew.electrical, site, "safety_isolation", proof={"comment": "Isolation verified; PTW-1984 closed."}
    )
    stage.at(at(anchor - timedelta(days=30)))
    photo = stage.upload(
        crew.installer,
        site,
        "install_chargers",
        "installed-chargers.png",
        PNG,
        png_image(96, 48, [(0, 150, 70)]),
    )
    stage.complete(crew.installer, site, "install_chargers", proof={"artifact_ids": [photo]})
    stage.at(at(anchor - timedelta(days=24)))
    report = stage.upload(
        crew.electrical,
        site,
        "electrical_inspection",
        "inspection-certificate.pdf",
        PDF,
        _pdf("Electrical installation certificate", "BS 7671 compliant", "RCD tests passed on all circuits."),
    )
    stage.complete(
        crew.electrical,
        site,
        "electrical_inspection",
        proof={"artifact_ids": [report], "external_status": "passed"},
    )
    stage.at(at(anchor - timedelta(days=8)))
    stage.complete(crew.electrical, site, "commission_chargers", proof={"external_status": "commissioned"})
    stage.at(at(anchor, 10))
    stage.complete(
        crew.pm, site, "launch_site", proof={"url": "https://cpms.example.com/sites/riverside-mall"}
    )
    stage.comment(crew.pm, site, "launch_site", "Opened by the mall manager; 41 sessions on day one.")
    stage.at(at(anchor + timedelta(days=12)))
    stage.complete(
        crew.operations,
        site,
        "maintenance_schedule",
        proof={"comment": "Quarterly preventive maintenance with ChargeCare; first visit in March."},
    )
    stage.at(at(anchor + timedelta(days=19)))
    stage.assist(crew.operations, site, "first_month_report")
    stage.sweep(stage.clock.limit - timedelta(hours=1))


def play(stage: Stage) -> None:
    crew = Crew(stage)
    today = stage.clock.limit.date()
    riverside_mall(stage, crew, today)
    harbour_park(stage, crew, today)
    depot_north(stage, crew, today)
