"""``renewal-journey``: one 120-day customer renewal (``customer-renewal``) from ``monitor`` to
``finalize``, completed three days ago. The usage review's first assistant assessment rates the risk
medium and the review is closed; a second assessment on fresh usage data rates it high, which switches
the emergency path on through its condition (``tasks.usage_review.outputs.risk_level``). The rescue plan
is drafted by the assistant from the assessment's signals, the proposal by the assistant from the same
assessment; a sponsor check-in is snoozed, the deal desk escalated, and the contract closes on time."""

from __future__ import annotations

from datetime import timedelta

from workengine.domain.instantiation import NewBundleRequest
from workengine.domain.showcase import RENEWAL_JOURNEY
from workengine.services.showcases.documents import PDF, PNG, pdf_document, png_image
from workengine.services.showcases.stage import Stage, at

NAME = RENEWAL_JOURNEY
# The assessments: medium first, high on the re-run (the rest of each output is the local provider's).
SCRIPT = {"risk_level": ["medium", "high"]}
CUSTOMER = "Northwind Logistics"


def play(stage: Stage) -> None:
    today = stage.clock.limit.date()
    anchor = today - timedelta(days=3)  # the renewal date: the journey ended just before it

    def day(offset: int, hour: int = 9) -> None:
        stage.at(at(anchor + timedelta(days=offset), hour))

    owner = stage.person("olivia.ng")  # account owner
    csm = stage.person("sam.patel")
    deal_desk = stage.person("dara.kim")
    legal = stage.person("lena.fischer")
    revops = stage.person("ravi.menon")
    executive = stage.person("erin.walsh")

    stage.clock.start(at(anchor - timedelta(days=121), 8))
    day(-120, 8)
    renewal = stage.create(
        owner,
        NewBundleRequest(
            template_id="customer-renewal",
            title=f"{CUSTOMER} renewal {anchor.year}",
            anchor_date=anchor,
            references={
                "crm-opportunity": "https://crm.example.com/opportunities/NW-2291",
                "contract": "https://contracts.example.com/northwind/msa-2023.pdf",
            },
            tags=["enterprise", "showcase"],
            assignees={
                "account-owner": owner.user_id,
                "csm": csm.user_id,
                "deal-desk": deal_desk.user_id,
                "legal": legal.user_id,
                "revops": revops.user_id,
                "executive": executive.user_id,
            },
        ),
    )
    stage.sweep(at(anchor - timedelta(days=119), 6))

    # monitor: health check, then the usage review with its first assessment (medium)
    day(-118)
    stage.complete(
        csm,
        renewal,
        "health_check",
        proof={"comment": "Health score 62 (amber); two open P2 tickets; NPS 31 from 14 responses."},
    )
    day(-106, 10)
    stage.upload(
        csm,
        renewal,
        "usage_review",
        "usage-export-q3.png",
        PNG,
        png_image(96, 48, [(46, 125, 50), (249, 168, 37), (198, 40, 40)]),
    )
    stage.assist(csm, renewal, "usage_review")
    stage.comment(csm, renewal, "usage_review", "Seat usage fell in the EU warehouses after their re-org.")
    day(-104)
    stage.complete(csm, renewal, "usage_review", fields={"risk_level": "medium", "active_users_pct": 58})
    stage.sweep(at(anchor - timedelta(days=100), 6))

    # prepare: the sponsor is on leave (snoozed), a fresh export re-rates the risk high
    day(-95)
    stage.snooze(
        owner,
        renewal,
        "exec_sponsor_checkin",
        at(anchor - timedelta(days=88)),
        "Sponsor on leave until the 2nd",
    )
    day(-93, 11)
    stage.assist(csm, renewal, "usage_review")  # second assessment: high → the emergency path is on
    stage.comment(
        csm, renewal, "usage_review", "Re-ran the assessment on October usage: active seats now under 45 %."
    )
    stage.sweep(at(anchor - timedelta(days=88), 10))  # ends the snooze
    day(-88, 11)
    stage.complete(
        owner,
        renewal,
        "exec_sponsor_checkin",
        proof={"comment": "Met the COO: renewal is on the table if adoption recovers in the EU sites."},
    )
    day(-87)
    stage.complete(
        owner,
        renewal,
        "escalate_risk",
        proof={"comment": "At-risk escalation raised with the VP Customer Success; rescue plan requested."},
    )
    day(-85)
    plan = stage.assist(csm, renewal, "rescue_plan")
    stage.complete(
        csm,
        renewal,
        "rescue_plan",
        proof={"url": "https://docs.example.com/northwind/rescue-plan"},
        comment=f"Rescue plan shared: {len(plan.get('actions', []))} actions with owners.",
    )
    day(-80)
    stage.complete(
        executive,
        renewal,
        "exec_call",
        proof={"comment": "Exec call held; Northwind commits to an adoption programme for the EU sites."},
    )
    day(-76)
    stage.assist(owner, renewal, "renewal_proposal")
    stage.complete(
        owner, renewal, "renewal_proposal", proof={"url": "https://docs.example.com/northwind/proposal-v1"}
    )
    stage.sweep(at(anchor - timedelta(days=70), 6))

    # the deal desk sits on the pricing approval: escalated, then approved
    day(-66)
    stage.escalate(
        owner,
        renewal,
        "pricing_approval",
        "user:hannah.cro",
        "Quote waiting 10 days; customer needs it Friday",
    )
    day(-63)
    stage.complete(deal_desk, renewal, "pricing_approval", proof={"external_status": "approved"})

    # negotiate
    day(-58)
    stage.complete(
        owner, renewal, "send_proposal", proof={"url": "https://clm.example.com/envelopes/NW-2291-P"}
    )
    day(-42)
    stage.complete(
        owner,
        renewal,
        "negotiate_terms",
        proof={"comment": "Two-year term, 6 % uplift, adoption credits for the EU sites."},
    )
    stage.sweep(at(anchor - timedelta(days=32), 6))
    day(-31)
    redlines = stage.upload(
        legal,
        renewal,
        "legal_redlines",
        "northwind-redlines-v3.pdf",
        PDF,
        pdf_document(
            "Northwind MSA renewal - redlines v3",
            ["Clause 7.2 liability cap agreed at 12 months' fees.", "Clause 11 data residency: EU only."],
        ),
    )
    stage.complete(legal, renewal, "legal_redlines", proof={"artifact_ids": [redlines]})

    # finalize
    stage.sweep(at(anchor - timedelta(days=13), 6))
    day(-9)
    signed = stage.upload(
        owner,
        renewal,
        "order_form_signed",
        "northwind-order-form-signed.pdf",
        PDF,
        pdf_document(
            "Order form - Northwind Logistics",
            ["Term: 24 months", "Countersigned by both parties via DocuSign."],
        ),
    )
    stage.complete(
        owner, renewal, "order_form_signed", proof={"artifact_ids": [signed], "external_status": "completed"}
    )
    day(-7)
    stage.complete(revops, renewal, "close_opportunity", proof={"external_status": "closed-won"})
    day(-1)
    stage.complete(
        csm, renewal, "next_term_plan", proof={"url": "https://success.example.com/northwind/plan-fy27"}
    )
