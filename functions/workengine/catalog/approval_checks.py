"""Template checks of approval steps (approvers, ``required``, the ``on_reject`` rework task) and of
automatic escalation (``escalate_after_days`` with ``escalate_to``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol

from workengine.domain.enums import ProofKind
from workengine.domain.template import WorkflowTemplate

# What names a role (``owner``, ``finance_lead``) and what names one user (``user:<id>``) in a template.
ROLE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
USER_PREFIX = "user:"


class TemplateChecker(Protocol):
    """What these checks need of the catalog's checker: the template, its task index and a way to report
    (a protocol, so the checker can call these checks without the two modules importing each other)."""

    @property
    def template(self) -> WorkflowTemplate: ...

    @property
    def index_of(self) -> Mapping[str, int]: ...

    def report(self, field: str, message: str) -> None: ...


def check_escalation(checker: TemplateChecker) -> None:
    days, role = checker.template.escalate_after_days, checker.template.escalate_to
    if (days is None) != (role is None):
        checker.report("escalate_to", "escalate_after_days and escalate_to go together")
    if role is not None and not ROLE_PATTERN.match(role):
        checker.report("escalate_to", f"{role!r} must be a role name of the bundle's assignees")


def check_approvals(checker: TemplateChecker) -> None:
    check_escalation(checker)

    for index, task in enumerate(checker.template.tasks):
        field = f"tasks[{index}].approval"
        rule = task.approval
        if rule is None:
            if ProofKind.APPROVAL in task.proof_required:
                checker.report(f"tasks[{index}].proof_required", "'approval' needs an approval: block")
            continue
        approvers = rule.approver_list()
        for position, entry in enumerate(approvers):
            is_user = entry.startswith(USER_PREFIX) and len(entry) > len(USER_PREFIX)
            if not (is_user or ROLE_PATTERN.match(entry)):
                checker.report(
                    f"{field}.approvers[{position}]",
                    f"{entry!r} is neither a role name (lower-case) nor 'user:<id>'",
                )
        if len(set(approvers)) != len(approvers):
            checker.report(f"{field}.approvers", "approvers must not repeat")
        if rule.required > len(approvers):
            checker.report(
                f"{field}.required",
                f"{rule.required} approvals can never be reached with {len(approvers)} approver(s)",
            )
        if rule.on_reject is not None:
            _check_on_reject(checker, index, task.key, rule.on_reject, task.depends_on)


def _check_on_reject(
    checker: TemplateChecker, index: int, key: str, target: str, depends_on: list[str]
) -> None:
    field = f"tasks[{index}].approval.on_reject"
    if target not in checker.index_of:
        checker.report(field, f"unknown task key {target!r}")
    elif target == key:
        checker.report(field, "a task cannot send its own work back to itself")
    elif target not in depends_on:
        # The approval must wait for the rework, or approvers would be asked again before it is redone.
        checker.report(field, f"{target!r} must be in depends_on, so the approval waits for the rework")
