"""Due-date arithmetic: calendar or business-day offsets from an anchor date."""

from __future__ import annotations

from datetime import date, timedelta

from workengine.domain.bounds import clamp_to_window

_SATURDAY = 5


def is_business_day(day: date) -> bool:
    return day.weekday() < _SATURDAY


def add_business_days(start: date, days: int) -> date:
    """Move ``days`` business days (Mon-Fri) from ``start``; negative moves backwards.

    An offset of 0 from a weekend rolls forward to the next Monday, so a task never falls due on a weekend.
    """
    current = start
    if days == 0:
        while not is_business_day(current):
            current += timedelta(days=1)
        return current
    step = 1 if days > 0 else -1
    # Count from the business day next to a weekend start (Friday going forward, Monday going back), so
    # that "Saturday + 1" is Monday and "Saturday - 1" is Friday.
    while not is_business_day(current):
        current -= timedelta(days=step)
    remaining = abs(days)
    # Whole weeks first: from a business day, every 7 calendar days hold exactly 5 business days.
    weeks, remaining = divmod(remaining, 5)
    current += timedelta(days=7 * weeks * step)
    while remaining:
        current += timedelta(days=step)
        if is_business_day(current):
            remaining -= 1
    return current


def due_date_from(anchor: date, offset_days: int, business_days: bool) -> date:
    """Total for anchors inside the date window (``domain.bounds``): the result is clamped into it, so
    no anchor/offset pair overflows or produces a date outside what the API accepts and shows."""
    anchor = clamp_to_window(anchor)
    if business_days:
        return clamp_to_window(add_business_days(anchor, offset_days))
    return clamp_to_window(anchor + timedelta(days=offset_days))
