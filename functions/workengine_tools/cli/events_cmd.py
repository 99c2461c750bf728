"""``workengine events put --detail-type T --detail JSON [--source S] [--endpoint-url URL] [--json]``: puts
one event on the project's EventBridge bus, as a partner system (a CRM) would; the trigger rule passes it
to the trigger function, which starts the bundles of the templates that declare its detail type."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from workengine_tools.cli.output import add_endpoint_flag, add_json_flag, emit

DEFAULT_SOURCE = "workengine.cli"


def register(subparsers: Any) -> None:
    events = subparsers.add_parser(
        "events",
        help="put events on the project's EventBridge bus",
        description="Events on the project's EventBridge bus (templates with an event trigger listen).",
    )
    actions = events.add_subparsers(dest="events_command", required=True)
    put = actions.add_parser(
        "put",
        help="put one event on the bus (the trigger rule starts the bundles of matching templates)",
        description="Put one event on the project's bus. The detail names the tenant (tenant_id) and holds "
        "the anchor date, inputs and assignees under the fields the template's trigger names; an optional "
        "detail.event_id is the once-only key (else EventBridge's event ID).",
    )
    put.add_argument(
        "--detail-type", required=True, metavar="T", help="detail type, e.g. RenewalWindowOpened"
    )
    put.add_argument(
        "--detail", required=True, metavar="JSON", help='the detail object, e.g. \'{"tenant_id": "demo"}\''
    )
    put.add_argument(
        "--source",
        default=DEFAULT_SOURCE,
        help=f"event source (default: {DEFAULT_SOURCE}; the rule ignores the engine's own 'workengine')",
    )
    add_endpoint_flag(put)
    add_json_flag(put)
    put.set_defaults(func=run_put)


def run_put(args: argparse.Namespace) -> int:
    try:
        detail = json.loads(args.detail)
    except json.JSONDecodeError as exc:
        print(f"error: --detail is not JSON: {exc}", file=sys.stderr)
        return 2
    if not isinstance(detail, dict):
        print("error: --detail must be a JSON object", file=sys.stderr)
        return 2
    from workengine_tools.cli.aws_config import quiet_local_powertools, use_endpoint

    use_endpoint(args.endpoint_url)
    quiet_local_powertools()
    from workengine.dal.aws import client
    from workengine.settings import get_settings

    bus = get_settings().event_bus_name
    response = client("events").put_events(
        Entries=[
            {
                "Source": args.source,
                "DetailType": args.detail_type,
                "Detail": json.dumps(detail),
                "EventBusName": bus,
            }
        ]
    )
    (entry,) = response["Entries"]
    if entry.get("ErrorCode"):
        print(f"error: EventBridge refused the event: {entry['ErrorCode']}: {entry.get('ErrorMessage')}",
              file=sys.stderr)  # fmt: skip
        return 1
    summary = {"event_id": entry["EventId"], "event_bus": bus, "detail_type": args.detail_type}
    emit(args.json, summary, [f"put {args.detail_type} on {bus}: event {entry['EventId']}"])
    return 0
