"""Dry run of a template (pure, no AWS): the real instantiation, condition, approval, reminder and
escalation rules played day by day against an in-memory clock.

The run assumes people do their part on time: each task is finished at noon (UTC) of its due day once
its dependencies are finished and its condition is met (later, the day that happens, when something
held it up), with every required proof and field recorded (values from ``KickOff.fields``, else the
field's default, else a placeholder such as a choice field's first choice). Approval gates are passed
by as many eligible approvers as they need. Roles the kick-off does not map are played by a user named
like the role. The daily sweep runs at midnight: it re-evaluates conditions that read
``days_to_anchor``, escalates overdue tasks and records every reminder the rules create.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from workengine.domain.approval_reminders import approval_requested_reminders
from workengine.domain.approvals import DecisionRequest, decide, eligible_approvers, resolve_approvers
from workengine.domain.condition_rules import has_time_conditions, reevaluate_conditions
from workengine.domain.conditions import ConditionState
from workengine.domain.due_dates import due_date_from
from workengine.domain.entities import Bundle, Reminder, Task
from workengine.domain.enums import ApprovalDecision, ProofKind, ReminderKind, TaskStatus
from workengine.domain.errors import ValidationFailedError
from workengine.domain.fields import FieldSpec, FieldType, is_empty
from workengine.domain.instantiation import NewBundleRequest, included_definitions, instantiate_bundle
from workengine.domain.reminder_rules import DueReminder, reminder_id, reminders_due, start_of_day
from workengine.domain.simulation_checks import critical_path, run_problems
from workengine.domain.simulation_model import (
    ApprovalGateRun,
    KickOff,
    SimulatedReminder,
    SimulatedTask,
    Simulation,
)
from workengine.domain.task_actions import auto_escalate
from workengine.domain.task_rules import ProofChange, TaskChange, apply_task_change, reschedule_dependents
from workengine.domain.template import WorkflowTemplate

SIMULATION_TENANT = "simulation"
SIMULATION_ACTOR = "simulator"
WORK_TIME = timedelta(hours=12)
HORIZON_SLACK_DAYS = 60  # how long past the last known due date a run waits for stuck work
PLACEHOLDER_PROOF: dict[ProofKind, tuple[str, Any]] = {
    ProofKind.URL: ("url", "https://example.com/simulated-proof"),
    ProofKind.ARTIFACT: ("artifact_ids", ["simulated-artifact"]),
    ProofKind.COMMENT: ("comment", "simulated"),
    ProofKind.EXTERNAL_STATUS: ("external_status", "simulated"),
}


def creation_day(template: WorkflowTemplate, kick_off: KickOff) -> date:
    """When the bundle comes to exist: ``kick_off.created_on``; else, for a scheduled template, the
    occurrence its first schedule trigger anchors on ``anchor_date``; else (manual, event) the day of
    its first reminder, i.e. started just in time (never after the anchor)."""
    if kick_off.created_on is not None:
        return kick_off.created_on
    schedules = template.schedule_triggers()
    if schedules:
        return kick_off.anchor_date - timedelta(days=schedules[0].anchor_offset_days)
    days = [
        due_date_from(kick_off.anchor_date, d.offset_days, d.business_days)
        - timedelta(days=d.remind_before_days)
        for d in included_definitions(template, kick_off.tags)
        if d.offset_from is None
    ]
    return min([*days, kick_off.anchor_date])


def placeholder_value(spec: FieldSpec, day: date) -> Any:
    """What the run records for a field nobody gave a value for."""
    if spec.default is not None:
        return spec.default
    match spec.type:
        case FieldType.CHOICE:
            return (spec.choices or [""])[0]
        case FieldType.BOOLEAN:
            return False
        case FieldType.NUMBER:
            bounded = (
                spec.min if spec.min is not None else spec.max if spec.max is not None and spec.max < 0 else 0
            )
            return bounded
        case FieldType.DATE:
            return day.isoformat()
        case FieldType.URL:
            return "https://example.com/simulated"
        case FieldType.USER:
            return "simulated-user"
    return "simulated"


class _SequentialIds:
    def __init__(self) -> None:
        self._count = 0

    def __call__(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count:04d}"


class _Run:
    def __init__(self, template: WorkflowTemplate, kick_off: KickOff) -> None:
        self.template = template
        self.kick_off = kick_off
        self.new_id = _SequentialIds()
        self.created_on = creation_day(template, kick_off)
        self.created_at = start_of_day(self.created_on)
        placeholders = {role: role for role in template.roles()}
        request = NewBundleRequest(
            template_id=template.template_id,
            title=kick_off.title,
            anchor_date=kick_off.anchor_date,
            tags=list(kick_off.tags),
            assignees={**placeholders, **kick_off.assignees},
            inputs=dict(kick_off.inputs),
        )
        made = instantiate_bundle(
            template, request, tenant_id=SIMULATION_TENANT, actor=SIMULATION_ACTOR, now=self.created_at,
            new_id=self.new_id,
        )  # fmt: skip
        self.bundle: Bundle = made.bundle
        self.tasks: dict[str, Task] = {task.task_id: task for task in made.tasks}
        self.initial: dict[str, Task] = dict(self.tasks)
        self.key_of = {task.task_id: task.template_task_ref for task in made.tasks}
        self.condition_changes: dict[str, list[tuple[date, str]]] = {
            task.task_id: [(self.created_on, task.condition.value)] for task in made.tasks if task.condition
        }
        self.actionable_on: dict[str, date] = {}
        self.completed_on: dict[str, date] = {}
        self.requested_on: dict[str, date] = {}
        self.unreachable: dict[str, str] = {}
        self.reminders: dict[str, SimulatedReminder] = {}
        self.finished_on: date | None = None
        self._record_entities(approval_requested_reminders(self.bundle, None, made.tasks, self.created_at))

    # ---- the clock ------------------------------------------------------------------------------------
    def play(self) -> None:
        day = self.created_on
        while True:
            self._sweep(day)
            self._work(day)
            if not any(task.is_open for task in self.tasks.values()):
                self.finished_on = day
                return
            if day >= self._horizon():
                return
            day += timedelta(days=1)

    def _horizon(self) -> date:
        dues = [task.due_date for task in self.tasks.values() if task.due_date is not None]
        return max([*dues, self.kick_off.anchor_date, self.created_on]) + timedelta(days=HORIZON_SLACK_DAYS)

    def _sweep(self, day: date) -> None:
        now = max(start_of_day(day), self.created_at)
        if day > self.created_on and has_time_conditions(self.template):
            changed = reevaluate_conditions(
                self.template, self.bundle, list(self.tasks.values()), today=day, now=now
            )
            self._apply(changed, day)
        for task in list(self.tasks.values()):
            escalated = auto_escalate(task, self.bundle, now)
            if escalated is not None:
                self.tasks[task.task_id] = escalated[0]
                self._record_entities([escalated[1]])
            for due in reminders_due(self.tasks[task.task_id], now):
                self._record_rule_reminder(self.tasks[task.task_id], due)

    def _work(self, day: date) -> None:
        at = max(start_of_day(day) + WORK_TIME, self.created_at)
        progressed = True
        while progressed:
            progressed = False
            for task in sorted(self.tasks.values(), key=lambda t: t.position):
                if not self._actionable(task):
                    continue
                self.actionable_on.setdefault(task.task_id, day)
                if task.task_id in self.unreachable or task.due_date is None or task.due_date > day:
                    continue
                progressed = self._finish(task, at) or progressed

    # ---- the people -----------------------------------------------------------------------------------
    def _actionable(self, task: Task) -> bool:
        if not task.is_open or task.condition not in (None, ConditionState.MET):
            return False
        return all(not self.tasks[dep].is_open for dep in task.depends_on if dep in self.tasks)

    def _finish(self, task: Task, at: datetime) -> bool:
        before = dict(self.tasks)
        day = at.date()
        given = self.kick_off.fields.get(task.template_task_ref, {})
        values = {
            spec.key: given.get(spec.key, placeholder_value(spec, day))
            for spec in task.field_specs
            if is_empty(task.fields.get(spec.key))
        }
        proof = dict(PLACEHOLDER_PROOF[kind] for kind in task.missing_proof() if kind in PLACEHOLDER_PROOF)
        gated = task.approval is not None
        sent = {"proof", "fields"} | (set() if gated else {"status"})
        change = TaskChange(
            fields_set=frozenset(sent),
            status=None if gated else TaskStatus.DONE,
            proof=ProofChange(fields=proof),
            fields=values or None,
        )
        actor = task.assignee or self.bundle.owner
        updated = apply_task_change(task, change, actor=actor, now=at, siblings=self.tasks)
        if gated:
            updated = self._approve(updated, at)
            if updated.status is not TaskStatus.DONE:
                return False
        self.tasks[updated.task_id] = updated
        self.completed_on[updated.task_id] = day
        for dependent in reschedule_dependents(updated, list(self.tasks.values()), at):
            self.tasks[dependent.task_id] = dependent
        changed = reevaluate_conditions(
            self.template, self.bundle, list(self.tasks.values()), today=day, now=at,
            changed_keys={updated.template_task_ref},
        )  # fmt: skip
        self._apply(changed, day)
        self._record_entities(
            approval_requested_reminders(self.bundle, before, list(self.tasks.values()), at)
        )
        return True

    def _approve(self, task: Task, at: datetime) -> Task:
        gate = task.approval
        assert gate is not None
        eligible = eligible_approvers(task, self.bundle.assignees, self.bundle.owner)
        for approver in eligible[: gate.required]:
            request = DecisionRequest(approver, ApprovalDecision.APPROVE, "simulated", self.new_id("ap"), at)
            task = decide(
                task, request, assignees=self.bundle.assignees, owner=self.bundle.owner, siblings=self.tasks
            ).task
        if task.status is not TaskStatus.DONE:
            self.unreachable[task.task_id] = (
                f"its approval needs {gate.required} approver(s) but only {len(eligible)} may decide"
                f" ({', '.join(eligible) or 'nobody'}; the assignee may not approve their own task)"
            )
        return task

    def _apply(self, changed: Mapping[str, Task], day: date) -> None:
        for task_id, task in changed.items():
            previous = self.tasks[task_id]
            if task.condition is not None and task.condition is not previous.condition:
                self.condition_changes.setdefault(task_id, []).append((day, task.condition.value))
            self.tasks[task_id] = task

    # ---- what fires -----------------------------------------------------------------------------------
    def _record_rule_reminder(self, task: Task, due: DueReminder) -> None:
        recipient = task.assignee or self.bundle.owner
        key_name = self.key_of[task.task_id]
        if due.kind is ReminderKind.OVERDUE:
            key = f"{task.task_id}:overdue"
            known = self.reminders.get(key)
            if known is None:
                self.reminders[key] = SimulatedReminder(
                    due.kind.value, key_name, recipient, due.fire_at, due.message
                )
            elif due.occurrence != known.fire_at.date().isoformat():
                self.reminders[key] = SimulatedReminder(
                    known.kind, key_name, recipient, known.fire_at, known.message, known.repeats + 1
                )
            return
        key = reminder_id(task.task_id, due.kind, due.occurrence)
        self.reminders.setdefault(
            key, SimulatedReminder(due.kind.value, key_name, recipient, due.fire_at, due.message)
        )

    def _record_entities(self, reminders: list[Reminder]) -> None:
        for reminder in reminders:
            task_key = self.key_of.get(reminder.task_id or "")
            if reminder.kind is ReminderKind.APPROVAL_REQUESTED and reminder.task_id:
                self.requested_on.setdefault(reminder.task_id, reminder.fire_at.date())
            self.reminders.setdefault(
                reminder.reminder_id,
                SimulatedReminder(
                    reminder.kind.value, task_key, reminder.recipient, reminder.fire_at, reminder.message
                ),
            )

    # ---- the report -----------------------------------------------------------------------------------
    def report(self) -> Simulation:
        tasks = [self._task_report(task) for task in sorted(self.tasks.values(), key=lambda t: t.position)]
        path, days = critical_path(tasks, self.created_on)
        reminders = sorted(self.reminders.values(), key=lambda r: (r.fire_at, r.kind, r.task_key or ""))
        simulation = Simulation(
            template_id=self.template.template_id,
            template_version=self.template.pinned_version,
            kick_off=self.kick_off,
            created_at=self.created_at,
            tasks=tasks,
            reminders=reminders,
            approval_gates=[self._gate(task) for task in self.initial.values() if task.approval is not None],
            critical_path=path,
            critical_path_days=days,
            finished_on=self.finished_on,
            problems=[],
        )
        stuck = {self.key_of[task_id]: reason for task_id, reason in self.unreachable.items()}
        simulation.problems.extend(run_problems(simulation, self.template, stuck))
        return simulation

    def _task_report(self, task: Task) -> SimulatedTask:
        definition = self.template.task(task.template_task_ref)
        completed = self.completed_on.get(task.task_id)
        late = (completed - task.due_date).days if completed and task.due_date else 0
        return SimulatedTask(
            key=task.template_task_ref,
            title=task.title,
            phase=task.phase,
            assignee=task.assignee,
            due_date=task.due_date,
            first_due_date=self.initial[task.task_id].due_date,
            depends_on=[self.key_of[dep] for dep in task.depends_on],
            offset_from=self.key_of.get(task.offset_from) if task.offset_from else None,
            remind_before_days=task.remind_before_days,
            status=task.status.value,
            active=task.task_id in self.actionable_on,
            actionable_on=self.actionable_on.get(task.task_id),
            completed_on=completed,
            days_late=max(late, 0),
            condition=task.condition.value if task.condition else None,
            condition_changes=self.condition_changes.get(task.task_id, []),
            when=definition.when if definition else None,
        )

    def _gate(self, task: Task) -> ApprovalGateRun:
        gate = task.approval
        assert gate is not None
        final = self.tasks[task.task_id]
        return ApprovalGateRun(
            task_key=task.template_task_ref,
            approvers=resolve_approvers(gate, self.bundle.assignees, self.bundle.owner),
            eligible=eligible_approvers(task, self.bundle.assignees, self.bundle.owner),
            required=gate.required,
            requested_on=self.requested_on.get(task.task_id),
            decided_on=self.completed_on.get(task.task_id) if final.status is TaskStatus.DONE else None,
        )


def simulate(template: WorkflowTemplate, kick_off: KickOff) -> Simulation:
    """The run ``kick_off`` would give. Raises ValidationFailedError for kick-off inputs or assignee
    roles ``POST /bundles`` would refuse (``details.field`` names the input), for ``fields`` of unknown
    tasks, and for recorded field values the task would refuse (``fields.<key>``)."""
    template.check_assignee_roles(kick_off.assignees)
    unknown = sorted(set(kick_off.fields) - {task.key for task in template.tasks})
    if unknown:
        raise ValidationFailedError(
            f"fields names tasks template {template.template_id!r} does not have: {', '.join(unknown)}",
            {"field": "fields", "unknown_tasks": unknown},
        )
    run = _Run(template, kick_off)
    run.play()
    return run.report()
