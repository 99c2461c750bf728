"""``workengine seed [--endpoint-url URL] [--json]``: the demo tenant (what ``serve --seed-demo`` creates)
written to the configured backend — the local server's moto endpoint, or a real deployment's table."""

from __future__ import annotations

import argparse
from typing import Any

from workengine_tools.cli.output import add_endpoint_flag, add_json_flag, emit, working


def register(subparsers: Any) -> None:
    seed = subparsers.add_parser(
        "seed",
        help="create the demo tenant's bundles in the configured backend",
        description="Create the demo tenant's bundles (as `serve --seed-demo` does) in the backend.",
    )
    add_endpoint_flag(seed)
    add_json_flag(seed)
    seed.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workengine_tools.cli.aws_config import quiet_local_powertools, use_endpoint

    use_endpoint(args.endpoint_url)
    quiet_local_powertools()
    from workengine.composition import container
    from workengine_tools.local.demo import DEMO_TENANT, seed_demo

    with working(f"seeding tenant {DEMO_TENANT}"):
        wiring = container()
        created = seed_demo(wiring.bundle_service, wiring.task_service, wiring.catalog.list())
    summary = {"tenant_id": DEMO_TENANT, "bundles": list(created)}
    emit(
        args.json,
        summary,
        [f"seeded tenant {DEMO_TENANT!r} with {len(created)} bundles: {', '.join(created)}"],
    )
    return 0
