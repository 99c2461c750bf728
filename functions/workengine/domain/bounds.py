"""What a client may send: the bounds every request model and the DynamoDB codec share.

One definition per class of value, used as annotated types by the request models (so a violation is a
422 naming the field) and by ``dal.codec`` (the one place values become DynamoDB attributes, so nothing
unstorable reaches DynamoDB from any other source either):

- **key values** (user IDs, assignees, roles, tags): one length and pattern rule, because they become
  parts of index keys (DynamoDB refuses key attributes over 2,048 bytes);
- **numbers**: what DynamoDB's number type holds exactly (38 significant digits, magnitude 1e-130 to
  below 1e126); NaN and infinities never;
- **free-form JSON** (job input, task fields, template inputs): nesting depth and serialised size, and
  the number and text rules for every value inside;
- **dates**: a documented window, 1970-01-01 to 2199-12-31, so due-date arithmetic stays total;
- **text**: no control characters (newline, carriage return and tab only in long text), no bidi
  overrides, and not empty once invisible characters are removed.

The limits and the checks themselves are plain Python in ``domain.value_rules`` (what needs only them,
such as the API's request gate and the trigger function's event parsing, does not import pydantic).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictBool, StrictInt

from workengine.domain.value_rules import (
    DATE_MAX,
    DATE_MIN,
    ENTITY_ID_PATTERN,
    JSON_MAX_BYTES,
    KEY_VALUE_MAX_LENGTH,
    KEY_VALUE_PATTERN,
    json_problems,
    number_problem,
    text_problem,
)


def _free_json(value: dict[str, Any]) -> dict[str, Any]:
    for where, problem in json_problems(value, "value"):
        raise ValueError(f"{where} {problem}")
    size = len(json.dumps(value, ensure_ascii=False).encode())
    if size > JSON_MAX_BYTES:
        raise ValueError(f"is {size} bytes of JSON; at most {JSON_MAX_BYTES} are accepted")
    return value


def _text_rule(*, multiline: bool) -> Callable[[str], str]:
    def check(value: str) -> str:
        problem = text_problem(value, multiline=multiline)
        if problem:
            raise ValueError(f"text {problem}")
        return value

    return check


def _number(value: float) -> float:
    problem = number_problem(value)
    if problem:
        raise ValueError(f"the number {problem}")
    return value


def _in_window(value: date) -> date:
    day = value.date() if isinstance(value, datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValueError(f"dates must lie between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}")
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a timestamp needs a time zone (use Z for UTC)")
    return value


def clamp_to_window(value: date) -> date:
    """``value`` moved into the date window (due-date arithmetic stays within it)."""
    return min(max(value, DATE_MIN), DATE_MAX)


# ---- annotated types for request models -------------------------------------------------------------------
SingleLineText = Annotated[str, AfterValidator(_text_rule(multiline=False))]
LongText = Annotated[str, AfterValidator(_text_rule(multiline=True))]
Title = Annotated[SingleLineText, Field(min_length=1, max_length=300)]
KeyValue = Annotated[str, Field(min_length=1, max_length=KEY_VALUE_MAX_LENGTH, pattern=KEY_VALUE_PATTERN)]
UserId = KeyValue
RoleName = KeyValue
# Tags are not part of any key; they stay free text within one line.
Tag = Annotated[SingleLineText, Field(min_length=1, max_length=64)]
EntityId = Annotated[str, Field(pattern=ENTITY_ID_PATTERN)]
WindowDate = Annotated[date, AfterValidator(_in_window)]
WindowDatetime = Annotated[datetime, AfterValidator(_aware), AfterValidator(_in_window)]
StoredNumber = Annotated[float, AfterValidator(_number)]
FreeJson = Annotated[dict[str, Any], AfterValidator(_free_json)]
# Request bodies take JSON types as they are: "yes" is not a boolean and "3" is not an integer.
Flag = StrictBool
Count = StrictInt
