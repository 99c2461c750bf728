"""The shared input bounds (pure)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from workengine.dal.codec import serialize
from workengine.domain.bounds import DATE_MAX, DATE_MIN, json_problems, number_problem, text_problem
from workengine.domain.due_dates import due_date_from
from workengine.domain.errors import ValidationFailedError


@pytest.mark.parametrize(
    "value", [0, -1, 10**37, int("9" * 38), 1e-130, -9.99e125, Decimal("1.5"), 0.1, 1e60, True]
)
def test_numbers_dynamodb_holds_pass(value: object) -> None:
    assert number_problem(value) is None  # type: ignore[arg-type]
    assert serialize({"n": value})


@pytest.mark.parametrize(
    "value",
    [10**38, 10**60, float("nan"), float("inf"), -float("inf"), 1e-131, 1e127, Decimal("1." + "1" * 40)],
)
def test_numbers_dynamodb_cannot_hold_are_refused_also_by_the_codec(value: object) -> None:
    assert number_problem(value)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailedError) as refused:
        serialize({"outer": {"list": [value]}})
    assert refused.value.details["field"] == "outer.list[0]"


def test_the_codec_refuses_documents_deeper_than_dynamodb_takes() -> None:
    deep: dict[str, object] = {}
    current = deep
    for _ in range(40):
        current["a"] = {}
        current = current["a"]  # type: ignore[assignment]
    with pytest.raises(ValidationFailedError):
        serialize({"input": deep})


def test_json_problems_walks_deep_values_without_recursion() -> None:
    value: object = 1
    for _ in range(100_000):
        value = [value]
    problems = list(json_problems(value, "input"))
    assert problems and "deeper than 16" in problems[0][1]


@pytest.mark.parametrize(
    ("text", "multiline", "ok"),
    [
        ("plain", False, True),
        ("tab\there", False, False),
        ("tab\there", True, True),
        ("crlf\r\n", True, True),
        ("nul\x00", True, False),
        ("esc\x1b[0m", True, False),
        ("del\x7f", False, False),
        ("\u202eevil", False, False),
        ("\u2066isolate", False, False),
        ("\u200b\u200c\u200d\ufeff", False, False),
        ("\u3164", False, False),
        ("👩🏽‍💻", False, True),
        ("עברית\u200f", False, True),
    ],
)
def test_text_rules(text: str, multiline: bool, ok: bool) -> None:
    assert (text_problem(text, multiline=multiline) is None) is ok


@pytest.mark.parametrize("anchor", [DATE_MIN, DATE_MAX, date(2024, 2, 29)])
@pytest.mark.parametrize("offset", [-3660, -1, 0, 1, 3660])
@pytest.mark.parametrize("business", [False, True])
def test_due_date_arithmetic_is_total_within_the_window(anchor: date, offset: int, business: bool) -> None:
    due = due_date_from(anchor, offset, business)
    assert DATE_MIN <= due <= DATE_MAX


def test_due_date_arithmetic_never_overflows_outside_the_window() -> None:
    assert due_date_from(date(9999, 12, 31), 3660, False) == DATE_MAX
    assert due_date_from(date(1, 1, 1), -3660, True) == DATE_MIN
