"""Entity ⇄ DynamoDB item conversion. Storage keys are added here and stripped here, nowhere else."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import BaseModel

from workengine.dal.table import KEY_ATTRIBUTES, PK, SK
from workengine.domain.bounds import number_problem
from workengine.domain.errors import ValidationFailedError

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()

EntityT = TypeVar("EntityT", bound=BaseModel)
AttributeMap = dict[str, Any]


# DynamoDB refuses documents nested deeper than 32 levels.
DYNAMODB_MAX_DEPTH = 32


def _to_dynamo_value(value: Any, path: str, depth: int = 1) -> Any:
    """Floats become Decimals; a number DynamoDB cannot hold exactly is refused here, whatever produced
    it (a request, an assistant's output, an import), naming where it sits in the item."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        problem = number_problem(value)
        if problem:
            raise ValidationFailedError(f"{path} {problem}", {"field": path, "problem": problem})
        return Decimal(str(value)) if isinstance(value, float) else value
    if isinstance(value, dict | list) and depth > DYNAMODB_MAX_DEPTH:
        problem = f"is nested deeper than {DYNAMODB_MAX_DEPTH} levels"
        raise ValidationFailedError(f"{path} {problem}", {"field": path, "problem": problem})
    if isinstance(value, dict):
        return {k: _to_dynamo_value(v, f"{path}.{k}", depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_dynamo_value(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    return value


def _from_dynamo_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo_value(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_from_dynamo_value(v) for v in value]
    return value


def serialize(data: dict[str, Any]) -> AttributeMap:
    """Python dict → DynamoDB attribute map (floats become Decimals).

    Raises ValidationFailedError for a number DynamoDB cannot store (``details.field`` names it)."""
    return {key: _SERIALIZER.serialize(_to_dynamo_value(value, key)) for key, value in data.items()}


def deserialize(item: AttributeMap) -> dict[str, Any]:
    """DynamoDB attribute map → plain Python values (Decimals become int/float)."""
    return {key: _from_dynamo_value(_DESERIALIZER.deserialize(value)) for key, value in item.items()}


def entity_to_item(entity: BaseModel, entity_type: str, keys: dict[str, str | None]) -> AttributeMap:
    """The stored item: the entity's JSON fields + ``entity_type`` + key attributes (``None`` keys are
    left out, which keeps sparse indexes sparse)."""
    data = entity.model_dump(mode="json")
    data["entity_type"] = entity_type
    data.update({name: value for name, value in keys.items() if value is not None})
    return serialize(data)


def item_to_entity(item: AttributeMap, model: type[EntityT]) -> EntityT:
    data = {key: value for key, value in deserialize(item).items() if key not in KEY_ATTRIBUTES}
    return model.model_validate(data)


def key_of(item: AttributeMap) -> AttributeMap:
    return {PK: item[PK], SK: item[SK]}
