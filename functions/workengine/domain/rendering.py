"""A strict mini template renderer for assistant prompts and schedule title patterns.

Syntax: ``{{ path.to.value }}`` optionally followed by filters, ``{{ anchor_date | month_name }}``.
Paths walk Mappings by key, sequences by integer index and other objects by public, non-callable
attribute (so ``{{ anchor_date.year }}`` works on a ``datetime.date``). Rendering is strict: a missing
path, a ``None`` value, an unknown filter or a malformed expression raises instead of rendering an empty
string, because a prompt or title silently missing a value is worse than a refused one.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

KNOWN_PROMPT_ROOTS = frozenset({"bundle", "task", "outputs", "inputs", "tasks"})
KNOWN_TITLE_ROOTS = frozenset({"anchor_date", "occurrence_date", "template", "inputs"})

_EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*$")
_FILTER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class MissingVariableError(ValueError):
    """A variable could not be rendered; base of every rendering error.

    ``variable`` names the full dotted path (or the raw expression text for a syntax error).
    """

    def __init__(self, variable: str, message: str | None = None) -> None:
        super().__init__(message or f"missing template variable {variable!r}")
        self.variable = variable


class UnknownFilterError(MissingVariableError):
    """A ``| filter`` that the renderer does not know; ``filter_name`` names it."""

    def __init__(self, variable: str, filter_name: str) -> None:
        super().__init__(variable, f"unknown filter {filter_name!r} applied to {variable!r}")
        self.filter_name = filter_name


class FilterValueError(MissingVariableError):
    """A known filter got a value it cannot convert (e.g. ``month_name`` of a free-text string)."""

    def __init__(self, variable: str, filter_name: str, value: Any) -> None:
        super().__init__(
            variable, f"filter {filter_name!r} cannot convert {type(value).__name__} value of {variable!r}"
        )
        self.filter_name = filter_name


class TemplateSyntaxError(MissingVariableError):
    """A malformed ``{{ ... }}`` expression or an unclosed ``{{``."""

    def __init__(self, expression: str, message: str) -> None:
        super().__init__(expression, message)


@dataclass(frozen=True)
class Expression:
    """One parsed ``{{ path | filter | ... }}``."""

    path: str
    filters: tuple[str, ...]

    @property
    def root(self) -> str:
        return self.path.split(".", 1)[0]

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.path.split("."))


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _month_name(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 12:
        return calendar.month_name[value]
    as_date = _as_date(value)
    return calendar.month_name[as_date.month] if as_date else None


def _iso(value: Any) -> str | None:
    as_date = _as_date(value)
    if isinstance(as_date, datetime):
        return as_date.isoformat()
    return as_date.isoformat() if as_date else None


def _upper(value: Any) -> str:
    return _stringify(value).upper()


def _lower(value: Any) -> str:
    return _stringify(value).lower()


def _json(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False, sort_keys=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# A filter returns None when the value is of a type it cannot convert.
FILTERS: Mapping[str, Callable[[Any], str | None]] = {
    "month_name": _month_name,
    "upper": _upper,
    "lower": _lower,
    "iso": _iso,
    "json": _json,
}
KNOWN_FILTERS = frozenset(FILTERS)


def _stringify(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping | list | tuple) or hasattr(value, "model_dump"):
        return _json(value)
    return str(value)


def _parse_expression(raw: str) -> Expression:
    parts = [part.strip() for part in raw.split("|")]
    path, filters = parts[0], parts[1:]
    if not _PATH.match(path):
        raise TemplateSyntaxError(raw.strip(), f"malformed template expression {{{{{raw}}}}}")
    for name in filters:
        if not _FILTER_NAME.match(name):
            raise TemplateSyntaxError(raw.strip(), f"malformed filter {name!r} in {{{{{raw}}}}}")
    return Expression(path=path, filters=tuple(filters))


def parse_expressions(text: str) -> list[Expression]:
    """Every ``{{ ... }}`` expression of ``text``, in order (filters are not checked here).

    Raises:
        TemplateSyntaxError: an expression is malformed or a ``{{`` is never closed.
    """
    expressions: list[Expression] = []
    position = 0
    for match in _EXPRESSION.finditer(text):
        _check_literal(text[position : match.start()])
        expressions.append(_parse_expression(match.group(1)))
        position = match.end()
    _check_literal(text[position:])
    return expressions


def _check_literal(literal: str) -> None:
    if "{{" in literal:
        snippet = literal[literal.index("{{") :][:40]
        raise TemplateSyntaxError(snippet, f"unclosed '{{{{' in template near {snippet!r}")


def find_variables(text: str) -> list[str]:
    """The dotted variable paths ``text`` uses, in order of first appearance, without repeats.

    Raises:
        TemplateSyntaxError: ``text`` holds a malformed expression.
    """
    return list(dict.fromkeys(expression.path for expression in parse_expressions(text)))


_MISSING = object()


def _step(current: Any, segment: str) -> Any:
    if isinstance(current, Mapping):
        return current.get(segment, _MISSING)
    if isinstance(current, Sequence) and not isinstance(current, str | bytes):
        if segment.isdigit() and int(segment) < len(current):
            return current[int(segment)]
        return _MISSING
    if segment.startswith("_"):
        return _MISSING
    value = getattr(current, segment, _MISSING)
    # Methods (``date.today``) are not data; refusing them keeps templates from calling code.
    return _MISSING if callable(value) else value


def lookup(path: str, context: Mapping[str, Any]) -> Any:
    """Resolve a dotted ``path`` against ``context``.

    Raises:
        MissingVariableError: any segment is absent or the value is ``None``.
    """
    current: Any = context
    for segment in path.split("."):
        current = _step(current, segment)
        if current is _MISSING or current is None:
            raise MissingVariableError(path)
    return current


def _apply_filters(expression: Expression, value: Any) -> str:
    result: Any = value
    for name in expression.filters:
        apply = FILTERS.get(name)
        if apply is None:
            raise UnknownFilterError(expression.path, name)
        converted = apply(result)
        if converted is None:
            raise FilterValueError(expression.path, name, result)
        result = converted
    return _stringify(result)


def render_strict(text: str, context: Mapping[str, Any]) -> str:
    """Substitute every ``{{ ... }}`` of ``text`` from ``context``.

    Raises:
        MissingVariableError: a path is missing or ``None`` (``.variable`` names the dotted path).
        UnknownFilterError: an expression uses a filter not in ``KNOWN_FILTERS``.
        FilterValueError: a filter cannot convert the value it was given.
        TemplateSyntaxError: ``text`` holds a malformed or unclosed expression.
    """
    parse_expressions(text)  # fail on syntax before substituting anything

    def substitute(match: re.Match[str]) -> str:
        expression = _parse_expression(match.group(1))
        return _apply_filters(expression, lookup(expression.path, context))

    return _EXPRESSION.sub(substitute, text)
