"""``workengine templates simulate``: a dry run of one template, printed as a timeline (or JSON)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from workengine.domain.bounds import DATE_MAX, DATE_MIN
from workengine_tools.cli.output import add_json_flag, emit
from workengine_tools.cli.simulation_text import timeline_lines
from workengine_tools.cli.template_source import EXIT_OK, EXIT_PROBLEMS, print_problems, resolve_source


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc.msg}") from exc
    except RecursionError as exc:
        raise argparse.ArgumentTypeError("nested too deeply") from exc
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return value


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("must be a date YYYY-MM-DD") from exc
    if not DATE_MIN <= day <= DATE_MAX:  # the API's window: due-date arithmetic stays within dates
        raise argparse.ArgumentTypeError(f"must lie between {DATE_MIN} and {DATE_MAX}")
    return day


def _tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def add_parser(commands: Any) -> None:
    simulate = commands.add_parser(
        "simulate",
        help="dry-run a template: due dates, conditions, approval gates, reminders, critical path, problems",
    )
    simulate.add_argument("template_id", metavar="TEMPLATE_ID", help="the template to run (its template_id)")
    simulate.add_argument("--anchor", type=_day, required=True, metavar="YYYY-MM-DD", help="the anchor date")
    simulate.add_argument("--inputs", type=_json_object, default={}, metavar="JSON", help="kick-off inputs")
    simulate.add_argument("--tags", type=_tags, default=[], metavar="a,b", help="bundle tags")
    simulate.add_argument(
        "--assignees", type=_json_object, default={}, metavar="JSON", help="user per role (default: the role)"
    )
    simulate.add_argument(
        "--fields",
        type=_json_object,
        default={},
        metavar="JSON",
        help='values recorded per task, e.g. {"usage_review": {"risk_level": "high"}}',
    )
    simulate.add_argument(
        "--created",
        type=_day,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day the bundle is created (default: the schedule's occurrence, else just in time)",
    )
    simulate.add_argument("--content", type=Path, default=None, metavar="PATH", help="content directory")
    add_json_flag(simulate)
    simulate.set_defaults(func=run_simulate)


def run_simulate(args: argparse.Namespace) -> int:
    """Exit 0 without problems, 1 with any (or when the template or its kick-off is invalid)."""
    from workengine.catalog.example_runs import run_examples
    from workengine.catalog.validate import parse_content
    from workengine.domain.simulation import simulate
    from workengine.domain.simulation_checks import never_active_problems
    from workengine.domain.simulation_model import KickOff

    source = resolve_source(args.content)
    if source is None:
        return EXIT_PROBLEMS
    parsed = parse_content(source)
    template = parsed.templates.get(args.template_id)
    if template is None:
        known = ", ".join(sorted(parsed.templates)) or "none"
        mine = [p for p in parsed.problems if p.file.endswith(f"/{args.template_id}.yaml")]
        if mine:
            print_problems(mine)
        print(f"error: no valid template {args.template_id!r} (valid templates: {known})", file=sys.stderr)
        return EXIT_PROBLEMS
    kick_off = KickOff(
        anchor_date=args.anchor,
        title=f"Simulation of {template.title}",
        inputs=args.inputs,
        tags=args.tags,
        assignees={str(k): str(v) for k, v in args.assignees.items()},
        created_on=args.created,
        fields=args.fields,
    )
    simulation = simulate(template, kick_off)
    # "Never active" is judged over this run and the template's examples on the same anchor.
    runs = [simulation, *(run.simulation for run in run_examples(template, args.anchor))]
    simulation.problems.extend(never_active_problems(template, runs))
    summary = simulation.as_json()
    emit(args.json, summary, timeline_lines(simulation, examples=len(runs) - 1))
    return EXIT_PROBLEMS if simulation.problems else EXIT_OK
