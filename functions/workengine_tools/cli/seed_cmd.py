"""``workengine seed [--tenant T] [--showcase NAME] [--endpoint-url URL] [--json]``.

Without ``--showcase``: the demo bundles (what ``serve --seed-demo`` creates) in tenant ``demo`` (or
``--tenant``). With it: the showcase (``ev-charging``, ``global-hcm``, ``renewal-journey`` or ``all``),
seeded through the engine's services with their history, printed as the contract's JSON summary.
Both are once-only per tenant: a second run answers ``already_seeded`` and creates nothing."""

from __future__ import annotations

import argparse
import json
from typing import Any

from workengine_tools.cli.output import add_endpoint_flag, add_json_flag, emit, working

SHOWCASE_CHOICES = ("ev-charging", "global-hcm", "renewal-journey", "all")
SEED_ADMIN = "showcase-admin"


def register(subparsers: Any) -> None:
    seed = subparsers.add_parser(
        "seed",
        help="seed the demo bundles, or a showcase with history, into a tenant (once)",
        description="Seed the demo bundles (as `serve --seed-demo` does) or, with --showcase, a showcase "
        "with its history into a tenant of the backend. A second run creates nothing.",
    )
    seed.add_argument("--tenant", metavar="TENANT", help="tenant to seed (default: demo)")
    seed.add_argument(
        "--showcase",
        choices=SHOWCASE_CHOICES,
        help="seed a showcase and print its JSON summary (all: every showcase)",
    )
    add_endpoint_flag(seed)
    add_json_flag(seed)
    seed.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workengine_tools.cli.aws_config import quiet_local_powertools, use_endpoint

    use_endpoint(args.endpoint_url)
    quiet_local_powertools()
    from workengine.composition import container
    from workengine_tools.local.demo import DEMO_TENANT, seed_demo_once

    tenant = args.tenant or DEMO_TENANT
    if args.showcase:
        from workengine.domain.enums import Role
        from workengine.domain.identity import Identity

        with working(f"seeding showcase {args.showcase} into tenant {tenant}"):
            summary = container().showcase_service.seed(
                Identity(tenant, SEED_ADMIN, Role.ADMIN), args.showcase
            )
        print(json.dumps(summary.as_dict(), indent=None if args.json else 2))
        return 0 if summary.success else 1
    with working(f"seeding tenant {tenant}"):
        wiring = container()
        created = seed_demo_once(
            wiring.showcase_markers, wiring.bundle_service, wiring.task_service, wiring.catalog.list(), tenant
        )
    result = {"tenant_id": tenant, "bundles": created, "status": "seeded" if created else "already_seeded"}
    line = (
        f"seeded tenant {tenant!r} with {len(created)} bundles: {', '.join(created)}"
        if created
        else f"tenant {tenant!r} already holds the demo bundles; nothing created"
    )
    emit(args.json, result, [line])
    return 0
