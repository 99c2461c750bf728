"""The command line's manners: help on every option, ``--version``, required options marked, and one JSON
summary on stdout with ``--json`` for export, export validate, import, seed and sweep."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from tests.integration.conftest import aws_env
from workengine_tools.cli.main import build_parser, main

__all__ = ["aws_env"]


def parsers(
    parser: argparse.ArgumentParser, name: str = "workengine"
) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(name, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                found += parsers(sub, f"{name} {sub_name}")
    return found


def test_every_option_and_argument_has_help_text() -> None:
    bare = [
        f"{name}: {action.option_strings or action.dest}"
        for name, parser in parsers(build_parser())
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
        and (not action.help or action.help == argparse.SUPPRESS)
    ]
    assert bare == []


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip().startswith("workengine 0.")


def test_required_options_are_marked_and_enforced(capsys: pytest.CaptureFixture[str]) -> None:
    by_name = dict(parsers(build_parser()))
    for command in ("token", "import"):
        tenant = next(a for a in by_name[f"workengine {command}"]._actions if "--tenant" in a.option_strings)
        assert tenant.required, command
    usage = by_name["workengine export"].format_usage()
    assert "--tenant TENANT" in usage and "[--tenant" not in usage
    assert "export validate DIR" in usage

    with pytest.raises(SystemExit) as exited:
        main(["export"])
    assert exited.value.code == 2
    assert "required: --tenant" in capsys.readouterr().err


def one_json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    captured = capsys.readouterr()
    assert len(captured.out.strip().splitlines()) == 1, captured.out
    assert "\x1b[" not in captured.err and "\r" not in captured.err  # no progress display off a terminal
    document: dict[str, object] = json.loads(captured.out)
    return document


def test_commands_answer_one_json_summary_on_stdout(
    aws_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: the demo tenant, seeded through the command
    assert main(["seed", "--json"]) == 0
    seeded = one_json(capsys)
    assert seeded["tenant_id"] == "demo" and len(seeded["bundles"]) >= 1  # type: ignore[arg-type]

    # When / Then: each command's --json output is one JSON document describing its result
    assert main(["sweep", "--now", "2030-01-01T00:00:00Z", "--json"]) == 0
    assert one_json(capsys)["now"] == "2030-01-01T00:00:00Z"

    out = tmp_path / "export"
    assert main(["export", "--tenant", "demo", "--out", str(out), "--json"]) == 0
    exported = one_json(capsys)
    assert exported["status"] == "succeeded" and exported["records"] > 0  # type: ignore[operator]

    assert main(["export", "validate", str(out), "--json"]) == 0
    validated = one_json(capsys)
    assert validated["valid"] is True and validated["problems"] == []

    assert main(["import", "--tenant", "copy", str(out), "--dry-run", "--json"]) == 0
    imported = one_json(capsys)
    assert imported["dry_run"] is True and imported["tenant_id"] == "copy"

    (out / "manifest.json").write_text("{}")
    assert main(["export", "validate", str(out), "--json"]) == 1
    assert one_json(capsys)["valid"] is False
