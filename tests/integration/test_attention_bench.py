"""The attention benchmark figure: GET /attention reads the same at every tenant size."""

from __future__ import annotations

import json
from pathlib import Path

from workengine_tools.bench.runner import main


def test_attention_figure_reads_the_same_at_every_tenant_size(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"

    code = main(["--quick", "--only", "attention", "--json", str(out)])

    figure = json.loads(out.read_text())["figures"]["attention"]
    assert code == 0 and figure["goal_met"] is True
    small, large = figure["rows"]
    assert (small["open tasks in tenant"], large["open tasks in tenant"]) == (100, 1000)
    assert small["requests"] == large["requests"] == 11  # 3 + 1 + one per bundle (7)
    assert small["items read"] == large["items read"] == 99
    assert small["items returned"] == large["items returned"] == 22
    assert "Scan" not in large["by DynamoDB operation"]
