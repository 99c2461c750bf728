"""Tooling reads its configuration through one typed object (``ToolSettings``) or its arguments (STYLE 6);
setting variables for boto3, the embedded moto backend or child processes is not reading configuration."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from workengine_tools.cli.aws_config import use_endpoint
from workengine_tools.cli.tool_settings import ToolSettings

TOOLS = Path(__file__).resolve().parents[2] / "functions" / "workengine_tools"
WRITES = {"setdefault", "update", "pop"}
# Where the environment is read other than for configuration, and why.
NOT_CONFIGURATION = {
    "cli/tool_settings.py": "the one place configuration is read",
    "bench/harness.py": "saves the variables it sets for mock_aws, to restore them on exit",
    "bench/imports.py": "hands the environment on to the import probes' child processes",
}


def environment_reads(path: Path) -> list[int]:
    """Lines using ``os.environ``/``os.getenv`` other than to set or remove a variable."""
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
            if node.attr == "getenv":
                lines.append(node.lineno)
            if node.attr != "environ":
                continue
            parent = parents[node]
            if isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Store | ast.Del):
                continue
            if isinstance(parent, ast.Attribute) and parent.attr in WRITES:
                continue
            lines.append(node.lineno)
    return lines


def test_tooling_reads_configuration_through_tool_settings_only() -> None:
    reads = {
        str(path.relative_to(TOOLS)): lines
        for path in sorted(TOOLS.rglob("*.py"))
        if (lines := environment_reads(path)) and str(path.relative_to(TOOLS)) not in NOT_CONFIGURATION
    }
    assert reads == {}, "read these through ToolSettings (or a command-line argument)"


def test_the_endpoint_comes_from_the_argument_then_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(name, "")  # recorded, so the variables use_endpoint sets are undone afterwards
        monkeypatch.delenv(name)
    assert ToolSettings.from_environment({"AWS_ENDPOINT_URL": "  "}).aws_endpoint_url is None
    settings = ToolSettings.from_environment({"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})

    use_endpoint(None, settings)
    assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"

    use_endpoint("http://127.0.0.1:7", settings)
    assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:7"
