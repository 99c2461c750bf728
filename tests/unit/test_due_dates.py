"""Due-date arithmetic: calendar offsets and business-day offsets."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workengine.domain.due_dates import add_business_days, due_date_from, is_business_day

# A fixed week: 2024-03-04 is a Monday.
MON = date(2024, 3, 4)
TUE = date(2024, 3, 5)
WED = date(2024, 3, 6)
THU = date(2024, 3, 7)
FRI = date(2024, 3, 8)
SAT = date(2024, 3, 9)
SUN = date(2024, 3, 10)
NEXT_MON = date(2024, 3, 11)
PREV_FRI = date(2024, 3, 1)


def test_fixed_week_weekdays_are_what_the_tests_assume() -> None:
    assert [d.weekday() for d in (MON, TUE, WED, THU, FRI, SAT, SUN)] == [0, 1, 2, 3, 4, 5, 6]


def test_is_business_day() -> None:
    assert [is_business_day(d) for d in (MON, TUE, WED, THU, FRI, SAT, SUN)] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
    ]


# --- calendar offsets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("anchor", "offset", "expected"),
    [
        (MON, 0, MON),
        (MON, 5, SAT),  # calendar offsets may land on weekends
        (MON, -3, PREV_FRI),
        (date(2024, 3, 1), -1, date(2024, 2, 29)),  # leap day
        (date(2024, 1, 1), -1, date(2023, 12, 31)),  # year boundary backwards
        (date(2023, 12, 25), 10, date(2024, 1, 4)),  # year boundary forwards
        (SAT, 0, SAT),  # no weekend roll for calendar offsets
    ],
)
def test_calendar_offsets(anchor: date, offset: int, expected: date) -> None:
    assert due_date_from(anchor, offset, business_days=False) == expected


# --- business-day offsets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (FRI, 1, NEXT_MON),
        (SAT, 1, NEXT_MON),
        (SUN, 1, NEXT_MON),
        (SAT, -1, FRI),
        (SUN, -1, FRI),
        (MON, -1, PREV_FRI),
        (TUE, -1, MON),
        (MON, 1, TUE),
        (THU, 2, NEXT_MON),
        (MON, 4, FRI),
        (WED, 5, WED + timedelta(days=7)),
        (WED, -5, WED - timedelta(days=7)),
        (MON, 10, MON + timedelta(days=14)),
        (FRI, 6, FRI + timedelta(days=10)),  # next-next Monday
        (SAT, 5, FRI + timedelta(days=7)),
        (SAT, -5, NEXT_MON - timedelta(days=7)),
        (SAT, 0, NEXT_MON),
        (SUN, 0, NEXT_MON),
        (WED, 0, WED),
    ],
)
def test_add_business_days_examples(start: date, days: int, expected: date) -> None:
    assert add_business_days(start, days) == expected


@pytest.mark.parametrize("weekday_start", [MON, TUE, WED, THU, FRI])
def test_plus_five_business_days_is_same_weekday_next_week(weekday_start: date) -> None:
    result = add_business_days(weekday_start, 5)
    assert result == weekday_start + timedelta(days=7)
    assert result.weekday() == weekday_start.weekday()


def test_due_date_from_business_days_uses_business_arithmetic() -> None:
    assert due_date_from(FRI, 1, business_days=True) == NEXT_MON
    assert due_date_from(MON, -1, business_days=True) == PREV_FRI
    assert due_date_from(SAT, 0, business_days=True) == NEXT_MON


# --- properties -------------------------------------------------------------------------------------

dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
weekday_dates = dates.filter(is_business_day)
offsets = st.integers(min_value=-400, max_value=400)
nonzero_offsets = offsets.filter(lambda n: n != 0)


def _business_days_crossed(start: date, end: date) -> int:
    """Business days in (start, end] going forward, or in [end, start) going backward."""
    if end >= start:
        first, last = start + timedelta(days=1), end
    else:
        first, last = end, start - timedelta(days=1)
    span = (last - first).days + 1
    return sum(1 for i in range(max(span, 0)) if is_business_day(first + timedelta(days=i)))


@given(dates, nonzero_offsets)
def test_result_is_always_a_weekday(start: date, n: int) -> None:
    assert is_business_day(add_business_days(start, n))


@given(dates)
def test_zero_offset_is_a_weekday_never_before_start(start: date) -> None:
    result = add_business_days(start, 0)
    assert is_business_day(result)
    assert start <= result <= start + timedelta(days=2)
    if is_business_day(start):
        assert result == start


@given(weekday_dates, offsets)
def test_business_day_count_between_start_and_result_equals_abs_n(start: date, n: int) -> None:
    result = add_business_days(start, n)
    assert _business_days_crossed(start, result) == abs(n)


@given(dates, offsets, offsets)
def test_monotonic_in_n(start: date, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert add_business_days(start, lo) <= add_business_days(start, hi)
    if lo != hi and (is_business_day(start) or 0 not in (lo, hi)):
        # strictly increasing, except that from a weekend 0 and +1 both give the next Monday
        assert add_business_days(start, lo) < add_business_days(start, hi)


@given(dates, nonzero_offsets)
def test_sign_of_shift_matches_sign_of_n(start: date, n: int) -> None:
    delta = (add_business_days(start, n) - start).days
    assert (delta > 0) == (n > 0)
    assert delta != 0


@given(weekday_dates, st.integers(min_value=-80, max_value=80))
def test_whole_weeks_shift_by_seven_calendar_days(start: date, weeks: int) -> None:
    assert add_business_days(start, 5 * weeks) == start + timedelta(days=7 * weeks)


@given(weekday_dates, offsets)
def test_inverse_from_weekday(start: date, n: int) -> None:
    assert add_business_days(add_business_days(start, n), -n) == start


@given(dates, st.integers(min_value=-3660, max_value=3660))
def test_calendar_offset_property(anchor: date, n: int) -> None:
    assert (due_date_from(anchor, n, business_days=False) - anchor).days == n
