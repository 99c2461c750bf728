"""Assistant providers behind one interface: Amazon Bedrock (Converse API) and a deterministic local
provider that needs no network (the default locally and in tests)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

# Bedrock error codes worth another attempt (throttling, capacity, timeouts).
TRANSIENT_BEDROCK_CODES = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "ServiceUnavailable",
        "ModelTimeoutException",
        "ModelNotReadyException",
        "InternalServerException",
        "TooManyRequestsException",
    }
)


class ProviderError(Exception):
    """The provider failed for good (bad request, unparseable answer); the job fails without retry."""


class TransientProviderError(ProviderError):
    """The provider failed in a way another attempt may fix (throttling, timeout, capacity)."""


class AssistantProvider(Protocol):
    name: str

    def generate(self, prompt: str, output_schema: Mapping[str, Any]) -> dict[str, Any]:
        """A JSON object meant to satisfy ``output_schema``; raises ProviderError/TransientProviderError."""
        ...


class LocalAssistantProvider:
    """Deterministic: the same prompt and schema always give the same output, derived from a hash of
    both, shaped to the schema (types, enums, lengths, item counts, bounds, common formats)."""

    name = "local"

    def generate(self, prompt: str, output_schema: Mapping[str, Any]) -> dict[str, Any]:
        canonical = json.dumps(output_schema, sort_keys=True, separators=(",", ":"))
        seed = hashlib.sha256(f"{canonical}\n{prompt}".encode()).hexdigest()
        value = _generate(output_schema, seed, "output", _first_line(prompt))
        if not isinstance(value, dict):
            raise ProviderError("the output schema must describe an object")
        return value


def _first_line(prompt: str) -> str:
    line = next((part.strip() for part in prompt.splitlines() if part.strip()), "")
    return line[:60]


def _pick_type(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return str(kinds[0]) if kinds else "null"
    if kind is None and "properties" in schema:
        return "object"
    return str(kind) if kind is not None else None


def _generate(schema: Mapping[str, Any], seed: str, name: str, topic: str) -> Any:
    digest = hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        options = schema["enum"]
        return options[int(digest[:8], 16) % len(options)]
    for combinator in ("oneOf", "anyOf", "allOf"):
        options = schema.get(combinator)
        if isinstance(options, list) and options:
            return _generate(options[0], seed, name, topic)
    kind = _pick_type(schema)
    if kind == "object":
        properties = schema.get("properties") or {}
        return {key: _generate(sub, seed, f"{name}.{key}", topic) for key, sub in properties.items()}
    if kind == "array":
        low = int(schema.get("minItems", 0))
        high = int(schema.get("maxItems", max(low, 3)))
        count = max(low, min(high, 3))
        raw_items = schema.get("items")
        items: Mapping[str, Any] = raw_items if isinstance(raw_items, Mapping) else {"type": "string"}
        return [_generate(items, seed, f"{name}[{index}]", topic) for index in range(count)]
    if kind in {"integer", "number"}:
        return _number(schema, digest, kind)
    if kind == "boolean":
        return int(digest[:2], 16) % 2 == 0
    if kind == "null":
        return None
    return _string(schema, digest, name, topic)


def _number(schema: Mapping[str, Any], digest: str, kind: str) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
    high = schema.get("maximum", schema.get("exclusiveMaximum", low + 100))
    if "exclusiveMinimum" in schema and "minimum" not in schema:
        low += 1
    if "exclusiveMaximum" in schema and "maximum" not in schema:
        high -= 1
    span = max(int(high) - int(low), 0)
    value = int(low) + (int(digest[:8], 16) % (span + 1) if span else 0)
    return value if kind == "integer" else float(value)


def _string(schema: Mapping[str, Any], digest: str, name: str, topic: str) -> str:
    formats = {
        "date": "2000-01-01",
        "date-time": "2000-01-01T00:00:00Z",
        "email": f"assistant-{digest[:6]}@example.com",
        "uri": f"https://example.com/{digest[:12]}",
        "url": f"https://example.com/{digest[:12]}",
    }
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in formats:
        return formats[fmt]
    field = re.sub(r"\[\d+\]", "", name.split(".")[-1]) or "text"
    text = f"{field} {digest[:8]}" + (f" for {topic}" if topic else "")
    minimum = int(schema.get("minLength", 0))
    maximum = int(schema.get("maxLength", 10_000))
    if len(text) < minimum:
        text = text + " " + ("x" * (minimum - len(text) - 1)) if minimum - len(text) > 1 else text + "x"
    # Too short a bound for the readable form: the digest alone keeps values distinct (uniqueItems).
    return text if len(text) <= maximum else digest[:maximum]


class BedrockAssistantProvider:
    """Amazon Bedrock through the ``bedrock-runtime`` Converse API: asks for one JSON object matching
    the schema and parses the answer. Throttling, capacity and timeouts raise TransientProviderError."""

    name = "bedrock"

    def __init__(self, client: Any, model_id: str, max_tokens: int = 2048) -> None:
        self._client = client
        self._model_id = model_id
        self._max_tokens = max_tokens

    def generate(self, prompt: str, output_schema: Mapping[str, Any]) -> dict[str, Any]:
        system = (
            "You are a careful business assistant. Answer with exactly one JSON object that validates "
            "against this JSON Schema, and nothing else (no prose, no code fences):\n"
            + json.dumps(output_schema, sort_keys=True)
        )
        try:
            response = self._client.converse(
                modelId=self._model_id,
                system=[{"text": system}],
                messages=[{"role": "user", "content": [{"text": prompt}]}],
                inferenceConfig={"maxTokens": self._max_tokens, "temperature": 0},
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in TRANSIENT_BEDROCK_CODES:
                raise TransientProviderError(f"Bedrock is busy ({code})") from exc
            raise ProviderError(f"Bedrock refused the request ({code})") from exc
        except BotoCoreError as exc:  # connection resets, read timeouts
            raise TransientProviderError(f"Bedrock could not be reached ({type(exc).__name__})") from exc
        blocks = response.get("output", {}).get("message", {}).get("content", [])
        text = "".join(block.get("text", "") for block in blocks if isinstance(block, dict))
        return parse_json_object(text)


def parse_json_object(text: str) -> dict[str, Any]:
    """The JSON object in a model's answer (tolerates code fences and text around it)."""
    stripped = text.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", stripped, re.DOTALL)
    if fenced:
        stripped = fenced.group(1).strip()
    start, end = stripped.find("{"), stripped.rfind("}")
    if start < 0 or end <= start:
        raise ProviderError("the model's answer holds no JSON object")
    try:
        value = json.loads(stripped[start : end + 1])
    except json.JSONDecodeError as exc:
        raise ProviderError(f"the model's answer is not valid JSON ({exc.msg})") from exc
    if not isinstance(value, dict):
        raise ProviderError("the model's answer is not a JSON object")
    return value
