"""Template validation of approval steps and automatic escalation: each problem named with its field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_template_validation import broken, messages, with_task, write_content


def test_a_valid_approval_step_has_no_problems(tmp_path: Path) -> None:
    template = with_task(
        1, approval={"approvers": ["editor", "user:ann"], "required": 2, "on_reject": "draft"}
    )

    assert messages(write_content(tmp_path, template)) == []


@pytest.mark.parametrize(
    ("approval", "field", "fragment"),
    [
        ({"approvers": "Editor"}, "approval.approvers[0]", "neither a role name"),
        ({"approvers": ["user:ann", "user:ann"]}, "approval.approvers", "must not repeat"),
        ({"approvers": "editor", "required": 2}, "approval.required", "can never be reached"),
        ({"approvers": "editor", "on_reject": "nope"}, "approval.on_reject", "unknown task key"),
        ({"approvers": "editor", "on_reject": "review"}, "approval.on_reject", "its own work"),
        ({"approvers": "editor", "on_reject": "publish"}, "approval.on_reject", "must be in depends_on"),
    ],
)
def test_approval_problems_are_named(
    tmp_path: Path, approval: dict[str, Any], field: str, fragment: str
) -> None:
    found = messages(write_content(tmp_path, with_task(1, approval=approval)))

    assert any(f"tasks[1].{field}" in m and fragment in m for m in found), found


def test_approval_proof_without_an_approval_step_is_a_problem(tmp_path: Path) -> None:
    found = messages(write_content(tmp_path, with_task(0, proof_required=["approval"])))

    assert any("tasks[0].proof_required" in m for m in found), found


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"escalate_after_days": 3}, "go together"),
        ({"escalate_after_days": 3, "escalate_to": "Boss"}, "role name"),
    ],
)
def test_escalation_settings_are_checked(tmp_path: Path, changes: dict[str, Any], fragment: str) -> None:
    found = messages(write_content(tmp_path, broken(**changes)))

    assert any("escalate_to" in m and fragment in m for m in found), found
