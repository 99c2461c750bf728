"""docs/operations.md lists every alarm the stack synthesizes (its description is ``workengine <name>``),
with what to do for it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.infra.conftest import Synthesized

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_every_alarm_of_the_stack_is_documented_with_what_to_do(dev: Synthesized) -> None:
    alarms = {
        props["AlarmDescription"].removeprefix("workengine ")
        for props in (alarm["Properties"] for alarm in dev.of_type("AWS::CloudWatch::Alarm").values())
    }
    text = OPERATIONS.read_text()
    section = text[text.index("## Alarms") : text.index("\n## ", text.index("## Alarms") + 1)]
    documented = set(re.findall(r"`([a-z0-9_-]+)`", section))
    assert alarms, "the stack has no alarms"
    missing = sorted(alarms - documented)
    assert missing == [], f"alarms missing from docs/operations.md: {missing}"
