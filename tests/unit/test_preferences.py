"""Quiet hours (IANA zones, spans over midnight, DST), the delivery plan and the digest time (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from workengine.domain.enums import ReminderKind
from workengine.domain.preferences import (
    Channel,
    DeliveryPlan,
    Digest,
    NotificationPreferences,
    QuietHours,
    plan_email,
)

BERLIN_NIGHT = QuietHours(start="22:00", end="07:00", time_zone="Europe/Berlin")


@pytest.mark.parametrize(
    ("at", "ends"),
    [
        (datetime(2026, 12, 3, 20, 59, tzinfo=UTC), None),  # 21:59 Berlin
        (datetime(2026, 12, 3, 21, 0, tzinfo=UTC), datetime(2026, 12, 4, 6, 0, tzinfo=UTC)),  # 22:00
        (datetime(2026, 12, 3, 23, 30, tzinfo=UTC), datetime(2026, 12, 4, 6, 0, tzinfo=UTC)),  # 00:30
        (datetime(2026, 12, 4, 5, 59, tzinfo=UTC), datetime(2026, 12, 4, 6, 0, tzinfo=UTC)),  # 06:59
        (datetime(2026, 12, 4, 6, 0, tzinfo=UTC), None),  # 07:00: over
    ],
)
def test_quiet_hours_spanning_midnight_end_at_the_local_end_time(at: datetime, ends: datetime | None) -> None:
    assert BERLIN_NIGHT.ends_after(at) == ends


def test_the_end_follows_the_local_clock_across_a_daylight_saving_change() -> None:
    # Night of 28/29 March 2026: Berlin moves from UTC+1 to UTC+2, so 07:00 local is 05:00 UTC.
    assert BERLIN_NIGHT.ends_after(datetime(2026, 3, 28, 22, 0, tzinfo=UTC)) == datetime(
        2026, 3, 29, 5, 0, tzinfo=UTC
    )


def test_daytime_quiet_hours_and_equal_bounds() -> None:
    lunch = QuietHours(start="12:00", end="13:00", time_zone="America/New_York")
    assert lunch.ends_after(datetime(2026, 12, 3, 17, 30, tzinfo=UTC)) == datetime(
        2026, 12, 3, 18, 0, tzinfo=UTC
    )
    assert lunch.ends_after(datetime(2026, 12, 3, 18, 0, tzinfo=UTC)) is None
    assert QuietHours(start="09:00", end="09:00", time_zone="UTC").ends_after(datetime.now(UTC)) is None


@pytest.mark.parametrize(
    "fields",
    [
        {"start": "22:00", "end": "07:00", "time_zone": "Mars/Olympus"},
        {"start": "22:00", "end": "07:00", "time_zone": "../../etc/passwd"},
        {"start": "24:00", "end": "07:00", "time_zone": "UTC"},
        {"start": "7:00", "end": "08:00", "time_zone": "UTC"},
        {"start": "25:00", "end": "08:00", "time_zone": "UTC"},
        {"start": "22:00", "end": "07:00", "time_zone": "zone.tab"},  # a tzdata file, not a zone
        {"start": "22:00", "end": "07:00", "timezone": "Europe/Berlin"},  # misspelt member
        {"start": "22:00", "end": "07:00", "time_zone": "UTC", "days": ["mon"]},  # unknown member
    ],
)
def test_unknown_zones_and_malformed_times_are_refused(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        QuietHours.model_validate(fields)


def prefs(**fields: object) -> NotificationPreferences:
    return NotificationPreferences.model_validate({"tenant_id": "acme", "user_id": "mia", **fields})


def test_the_plan_mutes_before_it_looks_for_an_address_and_defers_in_quiet_hours() -> None:
    night = datetime(2026, 12, 3, 23, 0, tzinfo=UTC)
    assert (
        plan_email(ReminderKind.DUE, prefs(channels=[Channel.EVENTS]), "a@b.io", night)[0]
        is DeliveryPlan.MUTE
    )
    assert plan_email(ReminderKind.DUE, prefs(muted_kinds=["due"]), None, night)[0] is DeliveryPlan.MUTE
    assert plan_email(ReminderKind.DUE, prefs(), None, night)[0] is DeliveryPlan.NO_ADDRESS
    plan, until, _ = plan_email(ReminderKind.DUE, prefs(quiet_hours=BERLIN_NIGHT), "a@b.io", night)
    assert (plan, until) == (DeliveryPlan.DEFER, datetime(2026, 12, 4, 6, 0, tzinfo=UTC))
    assert plan_email(ReminderKind.OVERDUE, prefs(), "a@b.io", night)[0] is DeliveryPlan.SEND


def test_the_digest_goes_out_at_seven_in_the_persons_zone() -> None:
    berlin = prefs(quiet_hours=BERLIN_NIGHT, digest=Digest.DAILY)
    assert berlin.digest_time_after(datetime(2026, 12, 3, 5, 0, tzinfo=UTC)) == datetime(
        2026, 12, 3, 6, 0, tzinfo=UTC
    )
    assert berlin.digest_time_after(datetime(2026, 12, 3, 6, 0, tzinfo=UTC)) == datetime(
        2026, 12, 4, 6, 0, tzinfo=UTC
    )
    assert prefs().digest_time_after(datetime(2026, 12, 3, 8, 0, tzinfo=UTC)) == datetime(
        2026, 12, 4, 7, 0, tzinfo=UTC
    )
