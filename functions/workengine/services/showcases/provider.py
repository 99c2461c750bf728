"""The showcases' assistant: the local provider (deterministic, offline, shaped to the schema), with the
few values a story depends on scripted — a risk rating that turns ``high`` on the second assessment, so
the emergency path's condition has something to switch on. Outputs are still validated against the step's
output schema by the job service, as any provider's are."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workengine.services.assistant_providers import AssistantProvider, LocalAssistantProvider


class ScriptedAssistantProvider:
    """``script`` maps an output property to the values successive outputs that have it take (the last
    one repeats); every other property is the local provider's."""

    name = "showcase"

    def __init__(self, script: Mapping[str, list[Any]], base: AssistantProvider | None = None) -> None:
        self._script = {key: list(values) for key, values in script.items()}
        self._base = base or LocalAssistantProvider()

    def generate(self, prompt: str, output_schema: Mapping[str, Any]) -> dict[str, Any]:
        output = self._base.generate(prompt, output_schema)
        for key, values in self._script.items():
            if key in output and values:
                output[key] = values.pop(0) if len(values) > 1 else values[0]
        return output
