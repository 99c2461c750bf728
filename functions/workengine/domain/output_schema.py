"""Is an assistant step's ``output_schema`` a usable JSON Schema for an object?

Uses ``jsonschema`` (the meta-schema check) when it is installed, which it is in development; the
runtime does not ship it, so a structural check covers the essentials without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_JSON_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


def check_output_schema(schema: Mapping[str, Any]) -> list[str]:
    """Messages describing why ``schema`` is not a JSON Schema object with properties (empty when fine)."""
    problems = _meta_schema_problems(schema)
    if problems:
        return problems
    if schema.get("type") != "object":
        problems.append("must be a JSON Schema with type 'object'")
    properties = schema.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        problems.append("must declare at least one property under 'properties'")
        return problems
    required = schema.get("required", [])
    if isinstance(required, list):
        problems.extend(
            f"required property {name!r} is not declared in 'properties'"
            for name in required
            if name not in properties
        )
    return problems


def _meta_schema_problems(schema: Mapping[str, Any]) -> list[str]:
    try:
        from jsonschema import SchemaError
        from jsonschema.validators import validator_for
    except ImportError:
        return _structural_problems(schema)
    validator_class = validator_for(dict(schema))
    try:
        validator_class.check_schema(dict(schema))
    except SchemaError as exc:
        where = "/".join(str(part) for part in exc.path)
        return [f"not a valid JSON Schema: {exc.message}" + (f" (at {where})" if where else "")]
    return []


def _structural_problems(schema: Mapping[str, Any], where: str = "") -> list[str]:
    problems: list[str] = []
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    for name in kinds:
        if name not in _JSON_TYPES:
            problems.append(f"not a valid JSON Schema: unknown type {name!r}{where}")
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping):
        return [*problems, f"not a valid JSON Schema: 'properties' must be an object{where}"]
    for name, subschema in properties.items():
        if not isinstance(subschema, Mapping):
            problems.append(f"not a valid JSON Schema: property {name!r} must be a schema object{where}")
        else:
            problems.extend(_structural_problems(subschema, f" (at properties/{name})"))
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(item, str) for item in required):
        problems.append(f"not a valid JSON Schema: 'required' must be a list of strings{where}")
    return problems
