"""``workengine sweep [--now ISO8601] [--endpoint-url URL]``: one reminder sweep, the scheduled handler's
logic, against the configured backend."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any


def register(subparsers: Any) -> None:
    sweep = subparsers.add_parser(
        "sweep", help="run the reminder sweep once (reminders, recurring schedules, event publishing)"
    )
    sweep.add_argument("--now", help="sweep as of this ISO 8601 time (default: the current time)")
    sweep.add_argument("--endpoint-url", help="AWS endpoint (e.g. the local server's moto backend)")
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

    report = run_sweep(now)
    print(json.dumps({"now": now.isoformat().replace("+00:00", "Z"), **report.as_dict()}))
    return 0
