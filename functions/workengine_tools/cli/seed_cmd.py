"""``workengine seed [--endpoint-url URL]``: the demo tenant (what ``serve --seed-demo`` creates) written to
the configured backend — the local server's moto endpoint, or a real deployment's table."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    seed = subparsers.add_parser("seed", help="create the demo tenant's bundles in the configured backend")
    seed.add_argument("--endpoint-url", help="AWS endpoint (e.g. the local server's moto backend)")
    seed.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workengine_tools.cli.aws_config import quiet_local_powertools, use_endpoint

    use_endpoint(args.endpoint_url)
    quiet_local_powertools()
    from workengine.handlers.api import dependencies as deps
    from workengine_tools.local.demo import DEMO_TENANT, seed_demo

    created = seed_demo(deps.bundle_service(), deps.task_service(), deps.catalog().list())
    print(f"seeded tenant {DEMO_TENANT!r} with {len(created)} bundles: {', '.join(created)}")
    return 0
