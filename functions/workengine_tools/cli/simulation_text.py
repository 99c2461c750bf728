"""A simulation as lines for people: tasks by due date, approval gates, reminders, critical path,
problems."""

from __future__ import annotations

from datetime import datetime

from workengine.domain.simulation_model import SimulatedTask, Simulation


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _condition(task: SimulatedTask) -> str:
    if task.when is None:
        return ""
    changes = " -> ".join(f"{state} ({day.isoformat()})" for day, state in task.condition_changes)
    return f"  when: {changes}"


def _task_line(task: SimulatedTask) -> str:
    due = task.due_date.isoformat() if task.due_date else "no date   "
    if task.completed_on is not None:
        outcome = f"done {task.completed_on.isoformat()}" + (
            f" ({task.days_late} day(s) late)" if task.days_late else ""
        )
    else:
        outcome = task.status
    counted = f" (from {task.offset_from})" if task.offset_from else ""
    return (
        f"  {due}  {task.key:<24} {task.phase:<12} {task.assignee or '-':<16} {outcome}{counted}"
        f"{_condition(task)}"
    )


def timeline_lines(simulation: Simulation, *, examples: int) -> list[str]:
    kick_off = simulation.kick_off
    tags = ", ".join(kick_off.tags) or "none"
    lines = [
        f"Simulation of {simulation.template_id} {simulation.template_version}: anchor"
        f" {kick_off.anchor_date.isoformat()}, created {_stamp(simulation.created_at)} UTC, tags: {tags}",
        "",
        f"Tasks ({len(simulation.tasks)}), due date, key, phase, assignee, outcome:",
    ]
    ordered = sorted(simulation.tasks, key=lambda t: (t.due_date is None, t.due_date or kick_off.anchor_date))
    lines.extend(_task_line(task) for task in ordered)
    lines += ["", f"Approval gates ({len(simulation.approval_gates)}):"]
    for gate in simulation.approval_gates:
        requested = gate.requested_on.isoformat() if gate.requested_on else "never"
        decided = gate.decided_on.isoformat() if gate.decided_on else "never"
        lines.append(
            f"  {gate.task_key}: {gate.required} of {', '.join(gate.approvers)} (eligible: "
            f"{', '.join(gate.eligible) or 'nobody'}); asked {requested}, decided {decided}"
        )
    lines += ["", f"Reminders ({len(simulation.reminders)}):"]
    for reminder in simulation.reminders:
        repeats = f" (daily, {reminder.repeats} times)" if reminder.repeats > 1 else ""
        lines.append(
            f"  {_stamp(reminder.fire_at)}  {reminder.kind:<18} {reminder.task_key or '-':<24}"
            f" -> {reminder.recipient}{repeats}"
        )
    path = " -> ".join(simulation.critical_path) or "none"
    days = (
        f"{simulation.critical_path_days} day(s) from creation"
        if simulation.critical_path_days is not None
        else ""
    )
    finished = simulation.finished_on.isoformat() if simulation.finished_on else "never"
    lines += [
        "",
        f"Critical path ({len(simulation.critical_path)} tasks, {days}): {path}",
        f"Finished: {finished}",
    ]
    lines += [
        "",
        f"Problems ({len(simulation.problems)}; never-active judged over this run and"
        f" {examples} example(s)):",
    ]
    lines.extend(f"  {problem.kind.value}: {problem.message}" for problem in simulation.problems)
    if not simulation.problems:
        lines.append("  none")
    return lines
