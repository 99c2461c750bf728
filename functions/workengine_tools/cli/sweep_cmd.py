"""``workengine sweep [--now ISO8601] [--endpoint-url URL] [--json]``: one reminder sweep, the scheduled
handler's logic, against the configured backend."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from workengine_tools.cli.output import add_endpoint_flag, add_json_flag, emit, working


def register(subparsers: Any) -> None:
    sweep = subparsers.add_parser(
        "sweep",
        help="run the reminder sweep once (reminders, recurring schedules, event publishing)",
        description="Run the reminder sweep once, as the EventBridge schedule does, against the backend.",
    )
    sweep.add_argument("--now", metavar="ISO8601", help="sweep as of this time (default: the current time)")
    add_endpoint_flag(sweep)
    add_json_flag(sweep)
    sweep.set_defaults(func=run)


def parse_now(raw: str | None) -> datetime:
    if not raw:
        return datetime.now(UTC)
    value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def run(args: argparse.Namespace) -> int:
    from workengine_tools.cli.aws_config import quiet_local_powertools, use_endpoint

    try:
        now = parse_now(args.now)
    except ValueError:
        print(f"error: --now {args.now!r} is not an ISO 8601 time", file=sys.stderr)
        return 2
    use_endpoint(args.endpoint_url)
    quiet_local_powertools()
    from workengine.handlers.sweep import run_sweep

    with working("sweeping"):
        report = run_sweep(now)
    summary = {"now": now.isoformat().replace("+00:00", "Z"), **report.as_dict()}
    lines = [f"sweep as of {summary['now']}"] + [
        f"  {key}: {value}" for key, value in summary.items() if key != "now"
    ]
    emit(args.json, summary, lines)
    return 0
