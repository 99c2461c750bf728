"""Showcases: the names, the counts a seeding reports and the per-tenant marker that makes it once-only."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

EV_CHARGING = "ev-charging"
GLOBAL_HCM = "global-hcm"
RENEWAL_JOURNEY = "renewal-journey"
ALL = "all"
SHOWCASE_NAMES: tuple[str, ...] = (EV_CHARGING, GLOBAL_HCM, RENEWAL_JOURNEY)


def expand(name: str) -> tuple[str, ...]:
    """The showcases a name stands for (``all``: every one); raises ValueError for an unknown name."""
    if name == ALL:
        return SHOWCASE_NAMES
    if name not in SHOWCASE_NAMES:
        raise ValueError(f"unknown showcase {name!r} (known: {', '.join((*SHOWCASE_NAMES, ALL))})")
    return (name,)


class MarkerStatus(StrEnum):
    SEEDING = "seeding"  # claimed; the run has not finished (or crashed: see docs/operations.md)
    SEEDED = "seeded"


class ShowcaseCounts(BaseModel):
    """What one showcase holds: the contract's summary fields, all but ``status``."""

    model_config = ConfigDict(extra="ignore")

    bundles: int = 0
    tasks: int = 0
    completed_tasks: int = 0
    artifacts: int = 0
    assistant_jobs: int = 0
    reminders: int = 0
    comments: int = 0


class ShowcaseMarker(BaseModel):
    """One per tenant and showcase, written only if absent before anything is seeded."""

    model_config = ConfigDict(extra="ignore")

    tenant_id: str
    name: str
    status: MarkerStatus
    started_at: datetime
    finished_at: datetime | None = None
    seeded_by: str
    bundle_ids: list[str] = []
    counts: ShowcaseCounts = ShowcaseCounts()
