"""Typed workflow data: the field spec shared by template ``inputs`` (the kick-off form) and task
``fields`` (what the assignee records), and the validation of values against it (pure)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workengine.domain.errors import ValidationFailedError

FIELD_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
FieldKey = Annotated[str, Field(pattern=FIELD_KEY_PATTERN)]
MAX_TEXT_LENGTH = 10_000
MAX_URL_LENGTH = 2048
_USER_ID = re.compile(r"^[A-Za-z0-9._@:+-]{1,128}$")
# Numbers are kept within what JSON clients and DynamoDB represent exactly.
NUMBER_LIMIT = 1e15


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    URL = "url"
    USER = "user"


class FieldSpec(BaseModel):
    """One typed value: ``choices`` for choice, ``min``/``max`` for number, ``max_length`` for text."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    key: FieldKey
    title: str = Field(min_length=1, max_length=200)
    type: FieldType
    required: bool = False
    choices: list[str] | None = Field(default=None, description="The allowed values (choice fields only).")
    default: Any = Field(default=None, description="The value used when none is given.")
    min: float | None = Field(default=None, description="Smallest allowed value (number fields only).")
    max: float | None = Field(default=None, description="Largest allowed value (number fields only).")
    max_length: int | None = Field(
        default=None, ge=1, le=MAX_TEXT_LENGTH, description="Longest allowed text (text fields only)."
    )
    description: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if (self.choices is not None) != (self.type is FieldType.CHOICE):
            raise ValueError("choices are given exactly for fields of type choice")
        if self.choices is not None and (not self.choices or len(set(self.choices)) != len(self.choices)):
            raise ValueError("choices must be non-empty and must not repeat")
        if (self.min is not None or self.max is not None) and self.type is not FieldType.NUMBER:
            raise ValueError("min and max apply to number fields only")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        if self.max_length is not None and self.type is not FieldType.TEXT:
            raise ValueError("max_length applies to text fields only")
        if self.default is not None:
            problem = value_problem(self, self.default)
            if problem:
                raise ValueError(f"default: {problem}")
        return self


def _number_problem(spec: FieldSpec, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number"
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    if abs(value) > NUMBER_LIMIT:
        return f"must be within ±{NUMBER_LIMIT:.0e}"
    if spec.min is not None and value < spec.min:
        return f"must be at least {spec.min:g}"
    if spec.max is not None and value > spec.max:
        return f"must be at most {spec.max:g}"
    return None


def _text_problem(spec: FieldSpec, value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    limit = spec.max_length or MAX_TEXT_LENGTH
    return f"must be at most {limit} characters" if len(value) > limit else None


def _date_problem(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) != 10:
        return "must be a date YYYY-MM-DD"
    try:
        date.fromisoformat(value)
    except ValueError:
        return "must be a date YYYY-MM-DD"
    return None


def _url_problem(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH:
        return f"must be an http(s) URL of at most {MAX_URL_LENGTH} characters"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        return "must be an http(s) URL"
    return None


def value_problem(spec: FieldSpec, value: Any) -> str | None:
    """Why ``value`` (not None) is not a valid value of ``spec``, or None when it is."""
    match spec.type:
        case FieldType.NUMBER:
            return _number_problem(spec, value)
        case FieldType.TEXT:
            return _text_problem(spec, value)
        case FieldType.DATE:
            return _date_problem(value)
        case FieldType.BOOLEAN:
            return None if isinstance(value, bool) else "must be true or false"
        case FieldType.CHOICE:
            return None if value in (spec.choices or []) else f"must be one of {spec.choices}"
        case FieldType.URL:
            return _url_problem(value)
        case FieldType.USER:
            ok = isinstance(value, str) and _USER_ID.match(value)
            return None if ok else "must be a user id"
    return None  # pragma: no cover - every type is matched above


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _invalid(prefix: str, key: str, message: str, **details: Any) -> ValidationFailedError:
    return ValidationFailedError(f"{prefix}.{key} {message}", {"field": f"{prefix}.{key}", **details})


def resolve_inputs(specs: Sequence[FieldSpec], given: Mapping[str, Any]) -> dict[str, Any]:
    """The kick-off values: ``given`` checked against ``specs``, defaults filled in.

    Raises ValidationFailedError (``details.field`` = ``inputs.<key>``) for an unknown key, a missing
    required value, or a value of the wrong type or outside ``choices``/``min``/``max``.
    """
    by_key = {spec.key: spec for spec in specs}
    for key in given:
        if key not in by_key:
            raise _invalid("inputs", key, "is not an input of this template", allowed=sorted(by_key))
    resolved: dict[str, Any] = {}
    for spec in specs:
        value = given.get(spec.key, spec.default)
        if is_empty(value):
            if spec.required:
                raise _invalid("inputs", spec.key, "is required")
            continue
        problem = value_problem(spec, value)
        if problem:
            raise _invalid("inputs", spec.key, problem)
        resolved[spec.key] = value
    return resolved


def initial_fields(specs: Sequence[FieldSpec]) -> dict[str, Any]:
    """A new task's field values: the specs' defaults."""
    return {spec.key: spec.default for spec in specs if spec.default is not None}


def merge_fields(
    specs: Sequence[FieldSpec], current: Mapping[str, Any], change: Mapping[str, Any]
) -> dict[str, Any]:
    """``current`` with ``change`` merged in (``None`` clears a value).

    Raises ValidationFailedError (``details.field`` = ``fields.<key>``) for an unknown key or an invalid
    value.
    """
    by_key = {spec.key: spec for spec in specs}
    merged = dict(current)
    for key, value in change.items():
        spec = by_key.get(key)
        if spec is None:
            raise _invalid("fields", key, "is not a field of this task", allowed=sorted(by_key))
        if value is None:
            merged.pop(key, None)
            continue
        problem = value_problem(spec, value)
        if problem:
            raise _invalid("fields", key, problem)
        merged[key] = value
    return merged


def missing_required(specs: Sequence[FieldSpec], values: Mapping[str, Any]) -> list[str]:
    """Keys of required fields that have no value."""
    return [spec.key for spec in specs if spec.required and is_empty(values.get(spec.key))]
