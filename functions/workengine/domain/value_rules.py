"""The bounds of ``domain.bounds`` as plain checks: limits, and why a text, number or free-form JSON
value breaks them. No pydantic here, so the API's request gate and the trigger function's event parsing
check values at cold start without importing the model machinery (decision log, 2026-12-02).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

# ---- key values ---------------------------------------------------------------------------------------
KEY_VALUE_MAX_LENGTH = 128
KEY_VALUE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,127}$"
# Stable IDs the service hands out (b_01J..., t_..., job_...); path and body references use it.
ENTITY_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

# ---- dates ----------------------------------------------------------------------------------------------
DATE_MIN = date(1970, 1, 1)
DATE_MAX = date(2199, 12, 31)

# ---- numbers (DynamoDB's number type) -------------------------------------------------------------------
NUMBER_MAX_DIGITS = 38
NUMBER_MIN_EXPONENT = -130  # smallest magnitude: 1e-130
NUMBER_MAX_EXPONENT = 125  # largest magnitude: 9.99...e125

# ---- free-form JSON -------------------------------------------------------------------------------------
JSON_MAX_DEPTH = 16
JSON_MAX_BYTES = 32 * 1024
JSON_MAX_KEY_LENGTH = 256

# Bidi embeddings, overrides and isolates reorder what a reader sees (the "Trojan Source" trick).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LONG_TEXT_WHITESPACE = frozenset("\n\r\t")
# Letters that render as nothing (Hangul fillers, braille blank), on top of format characters.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` is not acceptable text, or None. Long (multi-line) text may hold newlines and tabs."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cc" and not (multiline and char in _LONG_TEXT_WHITESPACE):
            return f"contains the control character U+{ord(char):04X}"
        if category == "Cs":
            return f"contains the lone surrogate U+{ord(char):04X}"
        if char in _BIDI_CONTROLS:
            return f"contains the bidirectional control U+{ord(char):04X}"
    if value and not any(_visible(char) for char in value):
        return "holds only invisible characters"
    return None


def _visible(char: str) -> bool:
    category = unicodedata.category(char)
    return not (char.isspace() or category in {"Cf", "Zs", "Zl", "Zp", "Cc"} or char in _BLANK_LETTERS)


def number_problem(value: int | float | Decimal) -> str | None:
    """Why DynamoDB cannot store ``value`` exactly, or None. Integers count every digit (boto3 writes
    them unrounded); floats and decimals count significant digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if value.bit_length() > 4 * NUMBER_MAX_DIGITS or len(str(abs(value))) > NUMBER_MAX_DIGITS:
            return f"has more than {NUMBER_MAX_DIGITS} digits"
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return "is not a finite number"
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        return "is not a number"
    if not number.is_finite():
        return "is not a finite number"
    if number.is_zero():
        return None
    digits = number.as_tuple().digits
    significant = "".join(map(str, digits)).lstrip("0").rstrip("0")
    if len(significant) > NUMBER_MAX_DIGITS:
        return f"has more than {NUMBER_MAX_DIGITS} significant digits"
    magnitude = number.adjusted()
    if magnitude > NUMBER_MAX_EXPONENT:
        return "is larger than 1e126 in magnitude"
    if magnitude < NUMBER_MIN_EXPONENT:
        return "is smaller than 1e-130 in magnitude"
    return None


def json_problems(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """``(path, problem)`` for each value inside ``value`` that breaks the free-form JSON rules: depth,
    key length, numbers DynamoDB cannot hold, control characters in strings, non-JSON types. Walks
    iteratively, so a pathologically deep value cannot exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(value, path, 1)]
    while stack:
        current, where, depth = stack.pop()
        if isinstance(current, Mapping | list):
            if depth > JSON_MAX_DEPTH:
                yield where, f"is nested deeper than {JSON_MAX_DEPTH} levels"
                continue
            if isinstance(current, Mapping):
                for key, child in current.items():
                    if not isinstance(key, str) or not 1 <= len(key) <= JSON_MAX_KEY_LENGTH:
                        yield where, f"has a key that is not 1-{JSON_MAX_KEY_LENGTH} characters"
                        continue
                    stack.append((child, f"{where}.{key}", depth + 1))
            else:
                stack.extend((child, f"{where}[{index}]", depth + 1) for index, child in enumerate(current))
        elif isinstance(current, str):
            problem = text_problem(current, multiline=True) if current else None
            if problem and problem != "holds only invisible characters":
                yield where, problem
        elif isinstance(current, int | float | Decimal) and not isinstance(current, bool):
            problem = number_problem(current)
            if problem:
                yield where, problem
        elif current is not None and not isinstance(current, bool):
            yield where, f"is not a JSON value ({type(current).__name__})"
